"""The explorer's logic without a browser: filtering, analysis through analyze_video,
the cache, error messages, the classifier hook, the overlay, and the thin view."""

import json
import os
import shutil
import subprocess
import sys
import time
import traceback

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from conftest import FixedBox, moving_pattern
from dfexplore.analysis import analyze_video
from dfexplore.faces import resolve_detector
from dfexplore.dataset import LABELS, Dataset
from dfexplore.faces import FaceBoxes
from dfexplore.video import write_video
from dfexplore.widgets import (
    ALL,
    Cancelled,
    ExplorerResult,
    ExplorerState,
    VideoExplorer,
    face_strip_png,
    filter_names,
    first_frame_png,
    option_label,
    ssim_plot_png,
    verdict_html,
)
from dfexplore.widgets import render
from dfexplore.widgets.background import Background
from dfexplore.widgets.render import frame_caption_html, original_note_html
from dfexplore.widgets.state import OverlayResult

PNG = b"\x89PNG\r\n\x1a\n"


Stub = FixedBox  # always the same box (or none); counts calls


class Proba:
    """A classifier stub: P(FAKE) = a fixed value (or raises)."""

    name = "stub-classifier"

    def __init__(self, p):
        self.p = p
        self.seen = []

    def predict_proba(self, analysis):
        self.seen.append(analysis)
        if isinstance(self.p, Exception):
            raise self.p
        return self.p


@pytest.fixture
def folder(tmp_path, face_clip):
    """real.mp4 (a face), fake.mp4 (its fake, original present), orphan.mp4 (fake, original absent),
    noface.mp4 (no face), broken.mp4 (not a video), gone.mp4 (listed, no file), extra.mp4 (unlabelled)."""
    root = tmp_path / "ds"
    root.mkdir()
    shutil.copy(face_clip, root / "real.mp4")
    shutil.copy(face_clip, root / "fake.mp4")
    shutil.copy(face_clip, root / "orphan.mp4")
    write_video(root / "noface.mp4", moving_pattern(n=10, h=64, w=80), 25.0)
    write_video(root / "extra.mp4", moving_pattern(n=6, h=64, w=80, seed=3), 25.0)
    (root / "broken.mp4").write_bytes(b"not a video" * 50)
    meta = {
        "real.mp4": {"label": "REAL", "split": "train", "original": None},
        "fake.mp4": {"label": "FAKE", "split": "train", "original": "real.mp4"},
        "orphan.mp4": {"label": "FAKE", "split": "train", "original": "absent.mp4"},
        "noface.mp4": {"label": "REAL", "split": "train", "original": None},
        "broken.mp4": {"label": "REAL", "split": "train", "original": None},
        "gone.mp4": {"label": "FAKE", "split": "train", "original": None},
    }
    (root / "metadata.json").write_text(json.dumps(meta))
    return root


@pytest.fixture
def state(folder):
    return ExplorerState(folder, detector=resolve_detector("haar"), max_frames=20)


# --------------------------------------------------------------------------- filtering


META = pd.DataFrame(
    {"label": ["FAKE", "REAL", None, "FAKE"]},
    index=pd.Index(["abc_fake.mp4", "Abc_real.mp4", "xyz.mp4", "other.mp4"], name="file"),
)


@pytest.mark.parametrize(
    "label, text, expected",
    [
        (ALL, "", ["abc_fake.mp4", "Abc_real.mp4", "xyz.mp4", "other.mp4"]),
        ("FAKE", "", ["abc_fake.mp4", "other.mp4"]),
        ("REAL", "", ["Abc_real.mp4"]),
        ("UNKNOWN", "", ["xyz.mp4"]),
        (ALL, "abc", ["abc_fake.mp4", "Abc_real.mp4"]),  # case-insensitive
        (ALL, "ABC real", ["Abc_real.mp4"]),  # every term must occur
        (ALL, "  ", ["abc_fake.mp4", "Abc_real.mp4", "xyz.mp4", "other.mp4"]),
        ("FAKE", "xyz", []),
        (ALL, "nothing", []),
    ],
)
def test_filter_names(label, text, expected):
    assert filter_names(META, label, text) == expected


def test_filter_names_rejects_an_unknown_label():
    with pytest.raises(ValueError, match="label must be one of"):
        filter_names(META, "fake")


def test_option_label_shows_the_true_label():
    assert option_label("a.mp4", "FAKE") == "a.mp4 \u2014 FAKE"
    assert option_label("a.mp4", None) == "a.mp4 \u2014 unlabelled"
    assert option_label("a.mp4", "REAL", exists=False) == "a.mp4 \u2014 REAL (file missing)"


def test_state_lists_every_video_with_its_label(state, folder):
    ds = Dataset.from_folder(folder)
    assert state.names == list(ds.meta.index)
    # the one label order (dataset.LABELS), and UNKNOWN because extra.mp4 is unlabelled
    assert state.label_choices() == [ALL, *LABELS, "UNKNOWN"] == [ALL, "FAKE", "REAL", "UNKNOWN"]
    opts = dict((v, t) for t, v in state.options())
    assert opts["fake.mp4"] == "fake.mp4 \u2014 FAKE" and opts["gone.mp4"].endswith("(file missing)")
    assert [v for _, v in state.options("FAKE", "a")] == ["fake.mp4", "orphan.mp4"]
    assert "the first 20 frames" in state.settings_text() and repr(state.detector) in state.settings_text()


# --------------------------------------------------------------------------- analysis


def test_select_is_analyze_video(state, folder):
    result = state.select("real.mp4")
    direct = analyze_video(folder / "real.mp4", resolve_detector("haar"), max_frames=20)
    assert result.ok and result.error is None
    assert result.verdict == direct.verdict and result.reason == direct.reason
    np.testing.assert_array_equal(result.analysis.scores, direct.scores)
    np.testing.assert_array_equal(result.analysis.boxes, direct.boxes)
    assert result.analysis.detector == direct.detector
    assert result.label == "REAL" and result.original is None
    assert result.analysis.basis == "face"
    for png in (result.frame_png, result.faces_png, result.plot_png):
        assert png.startswith(PNG)


def test_select_passes_analysis_parameters(folder):
    st = ExplorerState(folder, detector=Stub([100, 80, 220, 200]), max_frames=12, detect_every=4, size=64)
    result = st.select("real.mp4")
    assert result.analysis.params["max_frames"] == 12 and result.analysis.params["detect_every"] == 4
    assert result.analysis.frames_read == 12
    assert all(c.shape == (64, 64, 3) for c in result.analysis.preview.values())


def test_results_are_cached_and_refreshed_when_the_file_changes(state, folder):
    assert state.cached("real.mp4") is None
    first = state.select("real.mp4")
    assert state.cached("real.mp4") is first
    t0 = time.perf_counter()
    assert state.select("real.mp4") is first
    assert time.perf_counter() - t0 < 0.5
    st = os.stat(folder / "real.mp4")
    os.utime(folder / "real.mp4", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert state.cached("real.mp4") is None
    assert state.select("real.mp4") is not first


@pytest.mark.parametrize(
    "name, words",
    [
        ("broken.mp4", "cannot be opened as a video"),
        ("gone.mp4", "its file is not in the folder"),
        ("nope.mp4", "no video named 'nope.mp4'"),
    ],
)
def test_bad_input_is_a_message_not_an_exception(state, name, words):
    result = state.select(name)
    assert not result.ok and result.verdict is None and words in result.error
    assert result.frame_png == result.plot_png == b""
    assert state.check(name).error == result.error
    assert state.cached(name) is None  # errors are not cached
    html = verdict_html(result)
    assert 'class="dfx-error"' in html and "Traceback" not in html


def test_a_video_too_short_to_compare_is_a_message(folder, state):
    write_video(folder / "extra.mp4", moving_pattern(n=1, h=64, w=80), 25.0)
    result = state.select("extra.mp4")
    assert not result.ok and "at least 2" in result.error


def test_no_face_is_judged_on_whole_frames_and_says_so(state):
    result = state.select("noface.mp4")
    assert result.ok and result.analysis.basis == "whole frame"
    assert result.faces_png == b""  # no face crops to show
    assert result.frame_png.startswith(PNG) and result.plot_png.startswith(PNG)
    assert result.first_frame_faces == 0 and not result.first_frame_tracked
    assert "whole frames" in result.reason and "whole frames" in verdict_html(result)


def test_progress_is_reported_and_can_cancel(state):
    seen = []
    state.select("real.mp4", progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert any("frame" in m for _, m in seen)

    def cancel(fraction, message):
        if fraction > 0:
            raise Cancelled()

    with pytest.raises(Cancelled):
        state.select("fake.mp4", progress=cancel)
    assert state.cached("fake.mp4") is None


def test_unexpected_errors_become_messages_with_a_traceback_kept(folder):
    class Broken(Stub):
        def detect(self, frame, roi=None, face_side=None, bgr=False):
            raise RuntimeError("detector exploded")

    result = ExplorerState(folder, detector=Broken()).select("real.mp4")
    assert not result.ok
    assert result.error == "unexpected error (RuntimeError): detector exploded"
    assert "Traceback" in result.traceback


# --------------------------------------------------------------------------- classifier


def test_classifier_probability_is_shown(folder):
    clf = Proba(0.73)
    st = ExplorerState(folder, detector=Stub([100, 80, 220, 200]), classifier=clf, max_frames=10)
    result = st.select("fake.mp4")
    assert result.probability == pytest.approx(0.73)
    assert clf.seen == [result.analysis]
    html = verdict_html(result, st.classifier_name)
    assert "P(FAKE) = 0.73" in html and "stub-classifier" in html


@pytest.mark.parametrize("p, words", [(1.5, "not a probability"), (ValueError("no model"), "no model")])
def test_a_failing_classifier_is_a_note(folder, p, words):
    st = ExplorerState(folder, detector=Stub([100, 80, 220, 200]), classifier=Proba(p), max_frames=10)
    result = st.select("fake.mp4")
    assert result.ok and result.probability is None
    assert any(words in n and "stub-classifier" in n for n in result.notes)


def test_constructor_checks_its_arguments(folder):
    with pytest.raises(TypeError, match="predict_proba"):
        ExplorerState(folder, classifier=object())
    with pytest.raises(TypeError, match="FaceDetector"):
        ExplorerState(folder, detector=42)
    with pytest.raises(ValueError, match="max_frames must be >= 2"):
        ExplorerState(folder, max_frames=1)


# --------------------------------------------------------------------------- overlay


def test_overlay_plots_the_fake_and_its_original(state):
    over = state.overlay("fake.mp4")
    assert over.ok and over.original == "real.mp4"
    assert over.plot_png.startswith(PNG)
    assert over.original_result.verdict == state.select("real.mp4").verdict
    assert state.overlay("fake.mp4") is over  # cached


@pytest.mark.parametrize(
    "name, words",
    [
        ("orphan.mp4", "absent.mp4, is named in metadata.json but is not in the dataset folder"),
        ("real.mp4", "has no original to overlay: it is a REAL video"),
        ("extra.mp4", "metadata.json names no original"),
    ],
)
def test_overlay_without_an_original_is_a_message(state, name, words):
    over = state.overlay(name)
    assert not over.ok and words in over.error and over.plot_png == b""


# --------------------------------------------------------------------------- rendering


def test_rendering_functions():
    frame = np.zeros((300, 600, 3), np.uint8)
    boxes = FaceBoxes([[100, 50, 200, 150]], [1.0])
    png = first_frame_png(frame, [100, 50, 200, 150], boxes, max_side=300)
    import cv2

    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    assert img.shape == (150, 300, 3)
    assert img[25:75, 50].max() > 0  # the box is drawn at half scale (x = 50)
    assert first_frame_png(frame, [np.nan] * 4).startswith(PNG)  # no track box: just the frame

    assert face_strip_png({}) == b""
    strip = cv2.imdecode(np.frombuffer(face_strip_png({0: frame[:64, :64], 9: frame[:64, :64]}, side=50),
                                       np.uint8), cv2.IMREAD_COLOR)
    assert strip.shape[1] == 50 * 2 + 4

    before = plt.get_fignums()
    assert ssim_plot_png({"a": [0.9, 0.95, 0.8]}, floor=0.92, title="t").startswith(PNG)
    assert plt.get_fignums() == before  # nothing left open in pyplot


def test_verdict_html_escapes_names():
    result = ExplorerResult(name="<b>x</b>.mp4", label=None, error="bad <thing>")
    html = verdict_html(result)
    assert "<b>x</b>.mp4" not in html and "&lt;b&gt;x&lt;/b&gt;.mp4" in html and "bad &lt;thing&gt;" in html
    assert "unlabelled" in html


def test_the_caption_names_the_colours_the_boxes_are_drawn_in(state):
    import re

    import cv2

    result = state.select("real.mp4")
    assert result.first_frame_tracked
    caption = frame_caption_html(result)
    red = re.search(r'color:#([0-9a-f]{6})">red<', caption).group(1)
    frame = np.zeros((200, 200, 3), np.uint8)
    png = first_frame_png(frame, [50, 50, 150, 150], max_side=200)
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    assert tuple(img[100, 50]) == tuple(int(red[i:i + 2], 16) for i in (0, 2, 4))


def test_the_view_html_escapes_names():
    from dfexplore.dataset import Original

    odd = "<i>o</i>.mp4"
    for text in (original_note_html(Original(odd, False, None)), original_note_html(Original(odd, True, None)),
                 render.message_html(odd), render.analysing_html(odd), render.overlay_error_html(odd),
                 render.settings_html(odd)):
        assert odd not in text and "&lt;i&gt;o&lt;/i&gt;.mp4" in text
    assert "no original to overlay" in original_note_html(None)
    over = OverlayResult("f.mp4", odd, error="bad <thing>")
    assert "bad &lt;thing&gt;" in render.overlay_html(over) and 'class="dfx-error-text"' in render.overlay_html(over)


# --------------------------------------------------------------------------- background


def test_a_newer_job_abandons_the_older_one():
    import threading

    bg = Background("test-bg")
    started, release = threading.Event(), threading.Event()
    done, reports = [], []

    def slow(progress):
        progress(0.0, "slow: start")
        started.set()
        release.wait(10)
        progress(0.5, "slow: half")  # raises Cancelled: a newer job was started
        return "slow"

    try:
        first = bg.run(slow, on_progress=lambda f, m: reports.append(m), on_done=done.append, on_error=repr)
        assert started.wait(10)
        second = bg.run(lambda progress: (progress(1.0, "quick"), "quick")[1],
                        on_progress=lambda f, m: reports.append(m), on_done=done.append, on_error=repr)
        release.set()
        first.result(10)
        second.result(10)
        assert done == ["quick"] and reports == ["slow: start", "quick"]
        assert bg.future is second

        def broken(progress):
            raise RuntimeError("exploded")

        bg.run(broken, on_progress=reports.append, on_done=done.append,
               on_error=lambda exc: (str(exc), "Traceback" in traceback.format_exc())).result(10)
        assert done[-1] == ("exploded", True)

        started.clear(), release.clear()
        last = bg.run(slow, on_progress=lambda f, m: None, on_done=done.append, on_error=repr)
        assert started.wait(10)
        bg.cancel()
        release.set()
        last.result(10)
        assert done[-1] == ("exploded", True)  # a cancelled job's result is dropped
    finally:
        release.set()
        bg.close()


# --------------------------------------------------------------------------- the view


def test_explorer_view(folder):
    ex = VideoExplorer(folder, detector=resolve_detector("haar"), max_frames=20)
    try:
        assert ex.picker.value is None and "Pick a video" in ex.result_html.value
        assert "7 of 7 videos" in ex.count.value

        ex.picker.value = "fake.mp4"
        result = ex.wait()
        assert result.name == "fake.mp4" and result.ok
        assert 'class="dfx-verdict" style="color:' in ex.result_html.value
        assert f">{result.verdict}</span>" in ex.result_html.value
        assert ex.frame_image.value == result.frame_png and ex.plot_image.value == result.plot_png
        assert ex.frame_image.layout.display == "" and ex.progress.layout.visibility == "hidden"
        assert result.first_frame_tracked and "the tracked face in" in ex.frame_caption.value
        assert not ex.overlay_button.disabled

        ex.overlay_button.value = True
        ex.wait()
        assert "original real.mp4: verdict" in ex.overlay_html.value
        assert ex.plot_image.value != result.plot_png
        ex.overlay_button.value = False
        assert ex.plot_image.value == result.plot_png

        # bad input: shown at once, without starting an analysis
        ex.picker.value = "broken.mp4"
        assert "cannot be opened as a video" in ex.result_html.value
        assert ex.frame_image.layout.display == "none" and ex.overlay_button.disabled

        # cached: instant, no thread
        future = ex._background.future
        ex.picker.value = "fake.mp4"
        assert ex._background.future is future and ex.current is result

        # a missing original: the button says why
        ex.picker.value = "orphan.mp4"
        ex.wait()
        assert "absent.mp4 is not in the folder" in ex.overlay_html.value
        ex.overlay_button.value = True
        assert "is not in the dataset folder" in ex.overlay_html.value and ex.overlay_button.value is False

        # filters
        ex.label_filter.value = "REAL"
        assert [v for _, v in ex.picker.options] == ["broken.mp4", "noface.mp4", "real.mp4"]
        assert ex.picker.value is None and "Pick a video" in ex.result_html.value  # orphan.mp4 filtered out
        ex.search.value = "face"
        assert [v for _, v in ex.picker.options] == ["noface.mp4"] and "1 of 7" in ex.count.value

        # select() clears filters that hide the video
        ex.select("fake.mp4")
        assert ex.label_filter.value == ALL and ex.search.value == "" and ex.current.name == "fake.mp4"
        ex.select("nope.mp4")
        assert "no video named" in ex.result_html.value
    finally:
        ex.close()


def test_a_newer_selection_wins(folder):
    ex = VideoExplorer(folder, detector=resolve_detector("haar"), max_frames=20)
    try:
        ex.picker.value = "real.mp4"
        ex.picker.value = "noface.mp4"  # while real.mp4 may still be analysed
        assert ex.wait().name == "noface.mp4"
        assert ex.current.name == "noface.mp4" and "noface.mp4" in ex.result_html.value
        assert "no face found" in ex.frame_caption.value and ex.faces_image.layout.display == "none"
    finally:
        ex.close()


def test_classifier_is_the_protocol_of_the_classify_layer():
    from dfexplore import classify
    from dfexplore.widgets import Classifier

    assert Classifier is classify.Classifier
    assert isinstance(Proba(0.5), Classifier) and not isinstance(object(), Classifier)


def test_the_state_imports_without_ipywidgets():
    code = ("import sys\n"
            "from dfexplore.widgets import ExplorerState, filter_names, verdict_html, Cancelled\n"
            "print('ipywidgets' in sys.modules)\n"
            "from dfexplore.widgets import VideoExplorer\n"
            "print('ipywidgets' in sys.modules, VideoExplorer.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "VideoExplorer"]


def test_import_dfexplore_does_not_import_ipywidgets():
    code = "import sys, dfexplore, dfexplore.analysis, dfexplore.plots; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_frame_models_probability_is_shown_before_the_seeds_verdict(state):
    result = state.select("real.mp4")
    a = result.analysis
    assert a.probability_source is not None  # the shipped model, with no setting
    html = verdict_html(result)
    assert f'<span class="dfx-frame-proba" style="font-weight:bold">P(FAKE) = {a.probability:.2f}</span>' in html
    assert html.index("dfx-frame-proba") < html.index("seed's rule:") < html.index('class="dfx-verdict"')
    assert "why the seed's rule says so:" in html


def test_manipulation_map_in_the_state(state):
    same = state.manipulation("fake.mp4")  # a byte copy of its original: nothing changed
    assert same.ok and same.original == "real.mp4" and same.clip is not None and same.clip.frames == len(same.map)
    assert len(same.map) == 20 and float(same.map.changed.max()) == 0.0
    assert state.manipulation("fake.mp4") is same  # cached
    orphan = state.manipulation("orphan.mp4")
    assert not orphan.ok and "absent.mp4" in orphan.error and "not in the dataset folder" in orphan.error
    real = state.manipulation("real.mp4")
    assert not real.ok and "it is a REAL video" in real.error


def test_a_pair_that_cannot_be_aligned_is_a_message(tmp_path, face_clip):
    root = tmp_path / "ds"
    root.mkdir()
    shutil.copy(face_clip, root / "real.mp4")
    write_video(root / "fake.mp4", moving_pattern(n=24, h=320, w=320), 24.0)  # other footage, same size and rate
    (root / "metadata.json").write_text(json.dumps({
        "real.mp4": {"label": "REAL", "split": "train", "original": None},
        "fake.mp4": {"label": "FAKE", "split": "train", "original": "real.mp4"},
    }))
    ex = VideoExplorer(root, detector=resolve_detector("haar"), max_frames=20)
    try:
        ex.select("fake.mp4")
        result = ex.wait()
        assert result.ok and not ex.manip_button.disabled
        ex.manip_button.value = True
        ex.wait()
        caption = ex.video_caption.value
        assert "dfx-manip-error" in caption and "fake.mp4" in caption and "real.mp4" in caption
        assert ex.manip_button.value is False and ex.video.value == result.clip.data  # the track clip again
    finally:
        ex.close()


def test_the_manipulation_map_plays_in_the_explorer(folder):
    ex = VideoExplorer(folder, detector=resolve_detector("haar"), max_frames=20)
    try:
        ex.select("fake.mp4")
        result = ex.wait()
        assert ex.video.value == result.clip.data and "analysed frames" in ex.video_caption.value
        ex.manip_button.value = True
        ex.wait()
        manip = ex.state.manipulation("fake.mp4")
        assert ex.video.value == manip.clip.data and "dfx-manip-text" in ex.video_caption.value
        ex.manip_button.value = False
        assert ex.video.value == result.clip.data
        ex.select("real.mp4")
        ex.wait()
        assert ex.manip_button.disabled
    finally:
        ex.close()
