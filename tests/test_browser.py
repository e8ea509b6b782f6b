"""The explorer in a real browser: notebooks/06_explorer.ipynb served by Voilà, driven by Chromium.

A fixture starts Voilà on a free loopback port on a copy of the embedded sample
dataset (plus an unreadable video and a listed-but-missing one), and Debian's
Chromium (``/usr/bin/chromium``, installed by ``.ci/run``) is driven through the
``playwright`` package.  The test picks a REAL and a FAKE video in turn and checks
that the verdict in the page is what :func:`dfexplore.analysis.analyze_video`
computes here with the same parameters, that the frame and the SSIM plot were
rendered, that bad input shows a message, and that the browser logged no error.
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
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "06_explorer.ipynb"
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

from dfexplore.analysis import analyze_video, default_detector  # noqa: E402
from dfexplore.config import ensure_sample  # noqa: E402
from dfexplore.dataset import Dataset  # noqa: E402
from dfexplore.widgets import option_label  # noqa: E402

BROKEN = "zz_broken.mp4"  # not a video
MISSING = "zz_missing.mp4"  # listed in metadata.json, no file
TIMEOUT_MS = 90_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _voila_command() -> list[str]:
    exe = Path(sys.executable).with_name("voila")
    return [str(exe)] if exe.is_file() else [shutil.which("voila") or "voila"]


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    """The embedded sample dataset, copied, plus a broken video and a missing one."""
    src = ensure_sample()
    dest = tmp_path_factory.mktemp("explorer") / "data"
    shutil.copytree(src, dest)
    meta = json.loads((dest / "metadata.json").read_text())
    meta[BROKEN] = {"label": "REAL", "split": "train", "original": None}
    meta[MISSING] = {"label": "FAKE", "split": "train", "original": None}
    (dest / "metadata.json").write_text(json.dumps(meta, indent=1))
    (dest / BROKEN).write_bytes(b"this is not a video\n" * 100)
    return dest


@pytest.fixture(scope="module")
def voila_url(dataset_dir, tmp_path_factory):
    """Voilà serving notebooks/06_explorer.ipynb on 127.0.0.1:<free port>; terminated afterwards."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("voila") / "voila.log"
    env = {**os.environ, "DFEXPLORE_DATA": str(dataset_dir), "PYTHONUNBUFFERED": "1"}
    cmd = _voila_command() + [
        str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0", "--show_tracebacks=True",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"voila exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(url + "api", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"voila did not answer on {url} within 60 s:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


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
    """A page that records console errors and uncaught exceptions in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(f"pageerror: {e}"))
    try:
        yield pg
    finally:
        context.close()


def _pick(page, name: str, label) -> None:
    page.select_option(".dfx-picker select", label=option_label(name, label))


def _wait_for_result(page, name: str) -> None:
    """Until the result box names ``name`` and shows a verdict or an error."""
    page.wait_for_function(
        """name => {
            const box = document.querySelector('.dfx-result-box');
            if (!box) return false;
            const head = box.querySelector('.dfx-result b, .dfx-error b');
            return head !== null && head.textContent === name;
        }""",
        arg=name,
        timeout=TIMEOUT_MS,
    )


def _image_ok(page, cls: str, previous_src: str | None = None) -> dict:
    """Wait until the <img class=cls> is shown, loaded, non-empty (and new); return its facts."""
    page.wait_for_function(
        """([cls, prev]) => {
            const img = document.querySelector('img.' + cls);
            return img !== null && img.complete && img.naturalWidth > 0 && img.getAttribute('src') !== prev
                && img.offsetWidth > 0;
        }""",
        arg=[cls, previous_src],
        timeout=TIMEOUT_MS,
    )
    return page.evaluate(
        """cls => { const img = document.querySelector('img.' + cls);
                    return {src: img.getAttribute('src'), w: img.naturalWidth, h: img.naturalHeight}; }""",
        cls,
    )


def _shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"explorer_{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_explorer_in_the_browser(voila_url, dataset_dir, page):
    ds = Dataset.from_folder(dataset_dir)
    real = ds.videos("REAL")[0].name
    fake = next(n for n in ds.meta.index if ds.label(n) == "FAKE" and ds.original(n) is not None
                and ds.original(n).exists)

    page.goto(voila_url, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    page.wait_for_selector(".dfx-picker select", timeout=TIMEOUT_MS)
    assert "Video explorer" in page.content()
    assert page.locator(".jp-InputArea, .jp-CodeCell .jp-InputPrompt").count() == 0 or \
        not page.locator(".jp-InputArea").first.is_visible(), "code cells are shown"

    # the page analyses with the parameters it states; compute the same here
    settings = page.locator(".dfx-settings").inner_text()
    m = re.search(r"the first (\d+) frames, faces found with (.+?)\.$", settings)
    assert m, settings
    max_frames = int(m.group(1))
    detector = default_detector("haar")
    assert m.group(2) == repr(detector)

    frame_src = plot_src = None
    for name in (real, fake):
        _pick(page, name, ds.label(name))
        _wait_for_result(page, name)
        expected = analyze_video(ds.path(name), detector, max_frames=max_frames)
        shown = page.locator(".dfx-result .dfx-verdict").inner_text().strip()
        assert shown == str(expected.verdict), (name, shown, expected.reason)
        assert page.locator(".dfx-result .dfx-truth").inner_text().strip() == ds.label(name)
        assert expected.reason in page.locator(".dfx-result .dfx-reason").inner_text()
        frame = _image_ok(page, "dfx-frame", frame_src)
        plot = _image_ok(page, "dfx-plot", plot_src)
        _image_ok(page, "dfx-faces")
        frame_src, plot_src = frame["src"], plot["src"]
        assert plot["w"] > 300 and plot["h"] > 100
        assert not page.locator(".dfx-progress").is_visible()  # the bar goes away when done
        _shot(page, name)

    # the fake's original, overlaid on the SSIM plot
    overlay = page.locator("button.dfx-overlay")
    assert overlay.is_enabled()
    overlay.click()
    page.wait_for_selector(".dfx-overlay-verdict", timeout=TIMEOUT_MS)
    _image_ok(page, "dfx-plot", plot_src)
    original = ds.original(fake).name
    expected = analyze_video(ds.path(original), detector, max_frames=max_frames)
    assert f"original {original}: verdict {expected.verdict}" in page.locator(".dfx-overlay-verdict").inner_text()
    _shot(page, f"{fake}_overlay")

    # choosing a video again is instant (cached), and shows the same verdict
    _pick(page, real, ds.label(real))
    t0 = time.monotonic()
    _wait_for_result(page, real)
    assert time.monotonic() - t0 < 5
    assert page.locator(".dfx-result .dfx-verdict").inner_text().strip() == \
        str(analyze_video(ds.path(real), detector, max_frames=max_frames).verdict)

    # bad input: a message in the widget, no traceback, no images
    for name, words in ((BROKEN, "cannot be opened as a video"), (MISSING, "not in the folder")):
        _pick(page, name, ds.label(name))
        _wait_for_result(page, name)
        text = page.locator(".dfx-error").inner_text()
        assert words in text and "Traceback" not in text, text
        assert not page.locator("img.dfx-plot").is_visible()
        _shot(page, name)

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
