"""The gallery and explorer in a real browser: notebooks/06_explorer.ipynb served by Voilà and run in JupyterLab, driven by Chromium.

Fixtures start Voilà (as ``make app`` does, with ``app/voila.json``) on a free
loopback port, and Debian's Chromium (``/usr/bin/chromium``, installed by
``.ci/run``) is driven through the ``playwright`` package.  The tests pick a REAL
and a FAKE video in turn and check that the verdict in the page is what
:func:`dfexplore.analysis.analyze_video` computes in this process with the same
parameters, that the first frame and the SSIM plot were rendered, that bad input
shows a message, and that the browser logged no error.  They run on a copy of the
embedded sample dataset (plus an unreadable video and a listed-but-missing one),
and on the real clips in ``../shared/data/dfdc_sample`` when that folder exists.
They also check that each video's clip plays (the ``<video>`` element loads,
with a duration), that a fake's manipulation map replaces it, and that
clicking a gallery tile switches the explorer to that video; the last test
runs the same notebook in JupyterLab and clicks through it there.
Screenshots go to ``build/screenshots/`` (ignored by git).

The module skips, with the reason, when Chromium, playwright or voila is missing.
Never run ``playwright install``: the system Chromium is used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "06_explorer.ipynb"
APP_CONFIG = REPO / "app"  # voila.json, as `make app` uses it
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = Path(os.environ.get("DFEXPLORE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking",
]

if not CHROMIUM.is_file():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) "
        "or set DFEXPLORE_CHROMIUM to a Chromium binary",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")
pytest.importorskip("voila", reason="voila is not installed (pip install voila)")

from dfexplore.analysis import analyze_video  # noqa: E402
from dfexplore.faces import resolve_detector  # noqa: E402
from dfexplore.config import ensure_sample  # noqa: E402
from dfexplore.dataset import Dataset  # noqa: E402
from dfexplore.video import VideoInfo  # noqa: E402
from dfexplore.widgets import option_label  # noqa: E402

BROKEN = "zz_broken.mp4"  # not a video
MISSING = "zz_missing.mp4"  # listed in metadata.json, no file
TIMEOUT_MS = 90_000


# --------------------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _voila_command() -> list[str]:
    exe = Path(sys.executable).with_name("voila")
    return [str(exe)] if exe.is_file() else [shutil.which("voila") or "voila"]


@contextmanager
def _voila(data_dir: Path, log_path: Path):
    """Voilà serving notebooks/06_explorer.ipynb on ``DFEXPLORE_DATA=data_dir``; yields its URL."""
    port = _free_port()
    env = {**os.environ, "DFEXPLORE_DATA": str(data_dir), "PYTHONUNBUFFERED": "1"}
    cmd = _voila_command() + [
        str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
        f"--Voila.config_file_paths={APP_CONFIG}",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    try:
        _wait_listening(proc, port, log_path, "voila")
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop(proc)


def _wait_listening(proc: subprocess.Popen, port: int, log_path: Path, what: str) -> None:
    """Until ``proc`` accepts connections on ``port`` (60 s at most); fail with its log if it exits or never does."""
    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-3000:]

    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with status {proc.returncode}:\n{log_tail()}")
        try:  # a connection is enough (a GET of the page would start a kernel)
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not listen on port {port} within 60 s:\n{log_tail()}")
        time.sleep(0.2)


def _children(pid: int) -> list[int]:
    """Pids of the direct children of ``pid`` (Linux /proc; empty elsewhere)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started: its kernels first (each runs in a session of its own,
    which a signal to the server's group misses), then the server's process group."""
    for kid in _children(proc.pid):
        try:
            os.killpg(os.getpgid(kid), signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    """The embedded sample dataset, copied, plus a broken video and a missing one."""
    dest = tmp_path_factory.mktemp("explorer") / "data"
    shutil.copytree(ensure_sample(), dest)
    meta = json.loads((dest / "metadata.json").read_text())
    meta[BROKEN] = {"label": "REAL", "split": "train", "original": None}
    meta[MISSING] = {"label": "FAKE", "split": "train", "original": None}
    (dest / "metadata.json").write_text(json.dumps(meta, indent=1))
    (dest / BROKEN).write_bytes(b"this is not a video\n" * 100)
    return dest


@pytest.fixture(scope="module")
def sample_url(sample_dir, tmp_path_factory):
    with _voila(sample_dir, tmp_path_factory.mktemp("voila") / "voila.log") as url:
        yield url


@pytest.fixture(scope="module")
def real_url(real_sample, tmp_path_factory):
    with _voila(real_sample, tmp_path_factory.mktemp("voila") / "voila.log") as url:
        yield url


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A page recording console errors and uncaught exceptions in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    pg = context.new_page()
    pg.errors, pg.stubbed = [], []

    # The page must work offline: Voilà's template links Font Awesome CSS on a CDN (the
    # icons are bundled as well). Requests leaving the loopback server get an empty
    # answer, so a machine without network logs no spurious error; pg.stubbed lists them.
    def stub(route):
        pg.stubbed.append(route.request.url)
        route.fulfill(status=200, body="", content_type="text/css" if ".css" in route.request.url else "text/plain")

    pg.route(lambda url: not url.startswith("http://127.0.0.1:"), stub)
    pg.on("console", lambda m: pg.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(f"pageerror: {e}"))
    try:
        yield pg
    finally:
        context.close()


def _open(page, url: str) -> int:
    """Load the app; check no code is shown; return the max_frames the page says it uses."""
    page.goto(url, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    page.wait_for_selector(".dfx-picker select", timeout=TIMEOUT_MS)
    content = page.content()
    assert "Gallery and video explorer" in content
    assert "VideoExplorer(ds," not in content and page.locator(".jp-InputPrompt, .cm-editor").count() == 0, \
        "code cells are shown"
    settings = page.locator(".dfx-settings").inner_text()
    m = re.search(r"the first (\d+) frames, faces found with (.+?)\.$", settings)
    assert m, settings
    assert m.group(2) == repr(resolve_detector("haar")), "the page uses another detector than the test"
    return int(m.group(1))


def _pick(page, ds, name: str) -> None:
    text = option_label(name, ds.label(name), bool(ds.meta.at[name, "exists"]))
    page.select_option(".dfx-picker select", value=text)  # an option's value is its text


def _wait_for_result(page, name: str) -> None:
    """Until the result box names ``name`` (with a verdict or an error)."""
    page.wait_for_function(
        """name => {
            const head = document.querySelector('.dfx-result-box .dfx-result b, .dfx-result-box .dfx-error b');
            return head !== null && head.textContent === name;
        }""",
        arg=name,
        timeout=TIMEOUT_MS,
    )


def _image(page, cls: str, previous_src: str | None = None) -> dict:
    """Wait until ``<img class=cls>`` is shown, loaded, non-empty and new; return src and size."""
    page.wait_for_function(
        """([cls, prev]) => {
            const img = document.querySelector('img.' + cls);
            return img !== null && img.complete && img.naturalWidth > 0 && img.offsetWidth > 0
                && img.getAttribute('src') !== prev;
        }""",
        arg=[cls, previous_src],
        timeout=TIMEOUT_MS,
    )
    return page.evaluate(
        "cls => { const i = document.querySelector('img.' + cls); "
        "return {src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight}; }",
        cls,
    )


def _video(page, previous_src: str | None = None) -> dict:
    """Wait until ``<video class=dfx-video>`` is shown with a new source whose metadata loaded; return src, duration."""
    page.wait_for_function(
        """prev => {
            const v = document.querySelector('video.dfx-video');
            return v !== null && v.offsetWidth > 0 && v.getAttribute('src') !== prev && v.readyState >= 1
                && isFinite(v.duration) && v.duration > 0;
        }""",
        arg=previous_src,
        timeout=TIMEOUT_MS,
    )
    return page.evaluate(
        "() => { const v = document.querySelector('video.dfx-video'); "
        "return {src: v.getAttribute('src'), duration: v.duration, w: v.videoWidth, h: v.videoHeight, "
        "error: v.error && v.error.code}; }"
    )


def _shot(page, tag: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"explorer_{re.sub(r'[^A-Za-z0-9_.-]', '_', tag)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _check_videos(page, ds, names, expected, tag: str) -> str:
    """Pick each video in turn; check verdict, label, reason and images. Returns the last plot's src."""
    srcs = {"dfx-frame": None, "dfx-plot": None}
    video_src = None
    for name in names:
        _pick(page, ds, name)
        _wait_for_result(page, name)
        want = expected[name].result(timeout=TIMEOUT_MS / 1000)
        shown = page.locator(".dfx-result .dfx-verdict").inner_text().strip()
        assert shown == str(want.verdict), (name, shown, want.reason)
        assert page.locator(".dfx-result .dfx-truth").inner_text().strip() == ds.label(name)
        assert want.reason in page.locator(".dfx-result .dfx-reason").inner_text()
        # the frame model's P(FAKE), shown without any setting (the shipped model)
        assert want.probability_source is not None
        shown_p = page.locator(".dfx-result .dfx-frame-proba").inner_text().strip()
        assert shown_p == f"P(FAKE) = {want.probability:.2f}", (name, shown_p)
        for cls in srcs:
            srcs[cls] = _image(page, cls, srcs[cls])["src"]
        if want.preview:
            _image(page, "dfx-faces")
        # the analysed frames play in the page: the browser decodes the preview's header
        video = _video(page, video_src)
        video_src = video["src"]
        stride = int(want.params.get("stride", 1))
        assert video["error"] is None and video["w"] > 0 and video["h"] > 0, video
        assert video["duration"] == pytest.approx(want.frames_read * stride / want.info.fps, rel=0.1, abs=0.1), video
        assert not page.locator(".dfx-progress").is_visible()  # the bar goes away when done
        _shot(page, f"{tag}_{name}")
    return srcs["dfx-plot"]


# --------------------------------------------------------------------------- tests


def test_explorer_on_the_sample(sample_url, sample_dir, page):
    ds = Dataset.from_folder(sample_dir)
    real = ds.videos("REAL")[0].name
    fake = next(n for n in ds.meta.index
                if ds.label(n) == "FAKE" and ds.original(n) is not None and ds.original(n).exists)
    original = ds.original(fake).name
    max_frames = _open(page, sample_url)

    detector = resolve_detector("haar")
    with ThreadPoolExecutor(1) as pool:  # the expected results, computed here while the page works
        expected = {n: pool.submit(analyze_video, ds.path(n), detector, max_frames=max_frames)
                    for n in (real, fake, original)}
        plot_src = _check_videos(page, ds, [real, fake], expected, "sample")

        # the fake's original, overlaid on the SSIM plot
        overlay = page.locator("button.dfx-overlay")
        assert overlay.is_enabled()
        overlay.click()
        page.wait_for_selector(".dfx-overlay-verdict", timeout=TIMEOUT_MS)
        _image(page, "dfx-plot", plot_src)
        want = expected[original].result()
        assert f"original {original}: verdict {want.verdict}" in page.locator(".dfx-overlay-verdict").inner_text()
        _shot(page, f"sample_{fake}_overlay")

        # the fake's manipulation map, playing in place of the clip
        before = page.evaluate("() => document.querySelector('video.dfx-video').getAttribute('src')")
        page.locator("button.dfx-manip").click()
        page.wait_for_selector(".dfx-manip-text", timeout=TIMEOUT_MS)
        video = _video(page, before)
        assert video["error"] is None and video["duration"] > 0
        assert f"differs from its original {original}" in page.locator(".dfx-manip-text").inner_text()
        _shot(page, f"sample_{fake}_manipulation")

    # the gallery: a tile per video; clicking one opens it in the explorer, and its clip plays
    page.wait_for_selector(".dfx-gallery .dfx-tile-open", timeout=TIMEOUT_MS)
    tiles = page.locator(".dfx-gallery .dfx-tile-open:visible")
    assert tiles.count() == min(len(ds), 24)
    other = next(n for n in ds.meta.index if n not in (real, fake, original) and ds.label(n) == "REAL"
                 and bool(ds.meta.at[n, "exists"]))
    page.wait_for_function(  # every thumbnail of the page made (the background thread's progress bar gone)
        "() => { const p = document.querySelector('.dfx-gallery-progress'); "
        "return p !== null && getComputedStyle(p).visibility === 'hidden'; }",
        timeout=TIMEOUT_MS,
    )
    previous_video = page.evaluate("() => document.querySelector('video.dfx-video').getAttribute('src')")
    page.locator(".dfx-gallery .dfx-tile-open", has_text=other).click()
    _wait_for_result(page, other)
    assert page.locator(".dfx-picker select").input_value() == option_label(other, ds.label(other), True)
    video = _video(page, previous_video)
    assert video["duration"] > 0 and video["error"] is None
    _shot(page, f"sample_gallery_{other}")

    # choosing a video again is instant (cached) and shows the same verdict
    _pick(page, ds, real)
    t0 = time.monotonic()
    _wait_for_result(page, real)
    assert time.monotonic() - t0 < 5
    assert page.locator(".dfx-result .dfx-verdict").inner_text().strip() == str(expected[real].result().verdict)

    # bad input: a message in the widget, no traceback, no images
    for name, words in ((BROKEN, "cannot be opened as a video"), (MISSING, "not in the folder")):
        _pick(page, ds, name)
        _wait_for_result(page, name)
        text = page.locator(".dfx-error").inner_text()
        assert words in text and "Traceback" not in text, text
        assert not page.locator("img.dfx-plot").is_visible()
        assert not page.locator("img.dfx-frame").is_visible()
        _shot(page, f"sample_{name}")

    # filters: by label, then by text
    page.locator(".dfx-label-filter button", has_text="FAKE").click()
    page.wait_for_function(
        "n => document.querySelectorAll('.dfx-picker select option').length === n",
        arg=int((ds.meta["label"] == "FAKE").sum()), timeout=TIMEOUT_MS,
    )
    page.locator(".dfx-search input").fill("hopper")
    page.wait_for_function(
        "n => document.querySelectorAll('.dfx-picker select option').length === n",
        arg=sum(1 for n in ds.meta.index if ds.label(n) == "FAKE" and "hopper" in n), timeout=TIMEOUT_MS,
    )
    assert "Traceback" not in page.content()
    assert page.errors == [], page.errors


def test_explorer_on_real_clips(real_url, real_sample, page):
    """The real DFDC / FaceForensics++ clips (1080p included), and a clip without a face."""
    ds = Dataset.from_folder(real_sample)
    max_frames = _open(page, real_url)
    # the quickest clips of each kind (fewest pixels to analyse), and the one without a face if it is there
    def work(p):
        info = VideoInfo.from_path(p)
        return info.width * info.height * min(info.frame_count, max_frames)

    quickest = sorted(ds.videos(), key=work)
    real = next(p.name for p in quickest if ds.label(p.name) == "REAL" and "noface" not in p.name)
    fake = next(p.name for p in quickest if ds.label(p.name) == "FAKE")
    names = [real, fake] + (["noface_animation.mp4"] if "noface_animation.mp4" in ds else [])

    detector = resolve_detector("haar")
    with ThreadPoolExecutor(1) as pool:
        expected = {n: pool.submit(analyze_video, ds.path(n), detector, max_frames=max_frames) for n in names}
        _check_videos(page, ds, names, expected, "real")
    if "noface_animation.mp4" in names and expected["noface_animation.mp4"].result().basis != "face":
        assert "whole frames" in page.locator(".dfx-result .dfx-reason").inner_text()
        assert "no face found" in page.locator(".dfx-frame-caption").inner_text()
    assert "Traceback" not in page.content()
    assert page.errors == [], page.errors


# --------------------------------------------------------------------------- JupyterLab


@contextmanager
def _lab(data_dir: Path, tmp: Path):
    """JupyterLab on a copy of notebooks/06_explorer.ipynb with ``DFEXPLORE_DATA=data_dir``; yields the notebook's URL."""
    port, token = _free_port(), "dfexplore-test"
    root = tmp / "nb"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    env = {**os.environ, "DFEXPLORE_DATA": str(data_dir), "PYTHONUNBUFFERED": "1",
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    exe = Path(sys.executable).with_name("jupyter")
    cmd = [str(exe) if exe.is_file() else "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--allow-root"]
    log_path = tmp / "lab.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_listening(proc, port, log_path, "jupyter lab")
        yield f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}"
    finally:
        _stop(proc)


def test_gallery_and_explorer_in_jupyterlab(sample_dir, page, tmp_path):
    """The same notebook in JupyterLab: run it, click a gallery tile, the explorer shows that video and plays it."""
    ds = Dataset.from_folder(sample_dir)
    with _lab(sample_dir, tmp_path) as url:
        page.goto(url, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
        page.wait_for_selector(".jp-Notebook", timeout=TIMEOUT_MS)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=TIMEOUT_MS)
        page.locator(".jp-Notebook").click()
        for attempt in range(3):  # a click that lands while the kernel still connects can be lost: try again
            for dialog in page.locator(".jp-Dialog .jp-mod-accept").all():  # e.g. a kernel choice
                dialog.click()
            page.get_by_role("menuitem", name="Run").click()
            page.get_by_text("Run All Cells", exact=True).click()
            try:
                page.wait_for_selector(".dfx-gallery .dfx-tile-open", timeout=TIMEOUT_MS // 3)
                break
            except sync_api.TimeoutError:
                _shot(page, f"lab_not_run_{attempt}")
        else:
            pytest.fail("JupyterLab did not run the notebook to the gallery (see build/screenshots/explorer_lab_not_run_*)")
        name = next(n for n in ds.meta.index if ds.label(n) == "FAKE" and ds.original(n) is not None
                    and ds.original(n).exists)
        page.locator(".dfx-gallery .dfx-tile-open", has_text=name).click()
        _wait_for_result(page, name)
        video = _video(page, None)
        assert video["error"] is None and video["duration"] > 0
        page.locator("button.dfx-manip").click()
        page.wait_for_selector(".dfx-manip-text", timeout=TIMEOUT_MS)
        _video(page, video["src"])
        _shot(page, f"lab_{name}")
        assert "Traceback" not in page.locator(".dfx-explorer").inner_text()
