"""The dataset gallery: sorting, filtering, paging, thumbnails, and opening a video in the explorer."""

from __future__ import annotations

import json
import shutil
import time

import cv2
import numpy as np
import pandas as pd
import pytest

from conftest import moving_pattern
from dfexplore.dataset import Dataset
from dfexplore.errors import DfexploreError, VideoError
from dfexplore.faces import resolve_detector
from dfexplore.video import write_video
from dfexplore.widgets import ALL, GalleryState, face_thumbnail

widgets = pytest.importorskip("ipywidgets")
from dfexplore.widgets import Gallery, VideoExplorer  # noqa: E402


@pytest.fixture
def folder(tmp_path, face_clip):
    root = tmp_path / "ds"
    root.mkdir()
    for name in ("b_real.mp4", "a_fake.mp4", "c_fake.mp4"):
        shutil.copy(face_clip, root / name)
    write_video(root / "noface.mp4", moving_pattern(n=12, h=64, w=80), 25.0)
    (root / "broken.mp4").write_bytes(b"not a video" * 50)
    meta = {
        "b_real.mp4": {"label": "REAL", "split": "train", "original": None},
        "a_fake.mp4": {"label": "FAKE", "split": "train", "original": "b_real.mp4"},
        "c_fake.mp4": {"label": "FAKE", "split": "train", "original": "b_real.mp4"},
        "noface.mp4": {"label": "REAL", "split": "train", "original": None},
        "broken.mp4": {"label": "REAL", "split": "train", "original": None},
        "gone.mp4": {"label": "FAKE", "split": "train", "original": None},
    }
    (root / "metadata.json").write_text(json.dumps(meta))
    return root


RESULTS = pd.DataFrame({
    "file": ["a_fake.mp4", "b_real.mp4", "c_fake.mp4", "noface.mp4", "broken.mp4"],
    "verdict": ["FAKE", "REAL", "REAL", "MAYBE FAKE", None],
    "probability": [0.4, 0.1, 0.9, np.nan, np.nan],
    "error": [None, None, None, None, "broken.mp4: cannot be opened as a video"],
})


def test_sorting_filtering_and_paging(folder):
    s = GalleryState(folder, results=RESULTS, page_size=2)
    assert s.ordered("name") == ["a_fake.mp4", "b_real.mp4", "broken.mp4", "c_fake.mp4", "gone.mp4", "noface.mp4"]
    assert s.ordered("label") == ["a_fake.mp4", "c_fake.mp4", "gone.mp4", "b_real.mp4", "broken.mp4", "noface.mp4"]
    # highest P(FAKE) first; videos without one last, by name
    assert s.ordered("P(FAKE)") == ["c_fake.mp4", "a_fake.mp4", "b_real.mp4", "broken.mp4", "gone.mp4", "noface.mp4"]
    assert s.ordered("P(FAKE)", label="FAKE") == ["c_fake.mp4", "a_fake.mp4", "gone.mp4"]
    assert s.ordered("name", text="FAKE") == ["a_fake.mp4", "c_fake.mp4"]
    names = s.ordered("name")
    assert s.n_pages(len(names)) == 3 and s.page(names, 1) == ["broken.mp4", "c_fake.mp4"]
    assert s.page(names, 99) == ["gone.mp4", "noface.mp4"] and s.n_pages(0) == 1
    with pytest.raises(ValueError, match="sort must be one of"):
        s.ordered("size")


def test_tiles_carry_the_results(folder):
    s = GalleryState(folder, results=RESULTS)
    t = s.tile("c_fake.mp4")
    assert (t.label, t.verdict, t.probability, t.exists, t.error) == ("FAKE", "REAL", 0.9, True, None)
    assert s.tile("broken.mp4").error.startswith("broken.mp4")
    gone = s.tile("gone.mp4")
    assert not gone.exists and gone.verdict is None and np.isnan(gone.probability)
    assert GalleryState(folder).tile("a_fake.mp4").verdict is None


def test_results_are_checked(folder, tmp_path):
    with pytest.raises(DfexploreError, match="lacks the column"):
        GalleryState(folder, results=RESULTS.drop(columns="probability"))
    with pytest.raises(DfexploreError, match="more than one row for a_fake.mp4"):
        GalleryState(folder, results=pd.concat([RESULTS, RESULTS.iloc[:1]]))
    with pytest.raises(TypeError, match="results must be"):
        GalleryState(folder, results=[1, 2])
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DfexploreError, match="not a dfexplore results table"):
        GalleryState(folder, results=bad)


def test_face_thumbnail_is_the_face(face_clip):
    det = resolve_detector("haar")
    thumb = face_thumbnail(face_clip, det, side=96)
    assert thumb.shape == (96, 96, 3) and thumb.dtype == np.uint8
    # the face fills the thumbnail's middle, with the crops' margin around it
    found = det.detect(cv2.resize(thumb, (288, 288), interpolation=cv2.INTER_CUBIC))
    assert len(found)
    x1, y1, x2, y2 = found.xyxy[np.argmax(found.confidence)] / 288
    assert abs((x1 + x2) / 2 - 0.5) < 0.1 and abs((y1 + y2) / 2 - 0.5) < 0.1
    assert 0.55 < (x2 - x1) < 0.95  # 1 / 1.3 of the side with the crops' margin 0.3, as found by Haar again


def test_face_thumbnail_prefers_the_face_found_in_every_frame(tmp_path, face_clip):
    """A detection seen in one frame only (a false positive) loses to the face seen in all three."""
    from dfexplore.faces import FaceBoxes, FaceDetector

    class Flaky(FaceDetector):
        name = "flaky"

        def __init__(self):
            super().__init__(max_side=None)
            self.calls = 0

        def detect(self, frame, roi=None, face_side=None, bgr=False):
            self.calls += 1
            face = [100, 60, 200, 160]
            if self.calls == 1:  # frame 0: a big, confident false positive beside the face
                return FaceBoxes([[0, 0, 300, 300], face], [1.0, 0.9])
            return FaceBoxes([face], [0.9])

        def _detect_small(self, frame, sizes=None):  # pragma: no cover
            raise AssertionError

    det = Flaky()
    thumb = face_thumbnail(face_clip, det, side=64)
    from dfexplore.faces import crop
    from dfexplore.video import first_frame

    assert det.calls == 3
    assert np.abs(thumb.astype(int) - crop(first_frame(face_clip), [100, 60, 200, 160], size=64).astype(int)).mean() < 1


def test_face_thumbnail_without_a_face_is_the_centre(tmp_path):
    frames = moving_pattern(n=12, h=64, w=80)
    path = write_video(tmp_path / "noface.mp4", frames, 25.0)
    thumb = face_thumbnail(path, resolve_detector("haar"), side=32)
    assert thumb.shape == (32, 32, 3)
    with pytest.raises(VideoError):
        face_thumbnail(tmp_path / "absent.mp4", resolve_detector("haar"))


def test_thumbnails_are_made_once(folder):
    s = GalleryState(folder)
    assert s.cached_thumbnail("a_fake.mp4") is None
    data = s.thumbnail("a_fake.mp4")
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == (128, 128, 3)
    assert s.cached_thumbnail("a_fake.mp4") is data and s.thumbnail("a_fake.mp4") is data
    assert s.cached_thumbnail("gone.mp4") is None


def test_the_gallery_view_pages_and_opens_the_explorer(folder):
    explorer = VideoExplorer(folder, detector=resolve_detector("haar"), max_frames=12)
    opened = []
    g = Gallery(folder, results=RESULTS, explorer=explorer, on_open=opened.append, page_size=4)
    try:
        assert g.sort.value == "P(FAKE)" and g.shown == ["c_fake.mp4", "a_fake.mp4", "b_real.mp4", "broken.mp4"]
        assert "page 1 of 2" in g.page_label.value and g.prev_button.disabled and not g.next_button.disabled
        g.wait()
        blank = g._blank
        assert all(g.images[k].value != blank for k in range(3))  # faces made in the background
        assert "cannot be read" in g.captions[3].value  # broken.mp4: a note on its tile, no exception
        assert "P(FAKE) 0.90" in g.captions[0].value and "rule: REAL" in g.captions[0].value
        g.next_button.click()
        assert g.page == 1 and g.shown == ["gone.mp4", "noface.mp4"]
        assert g.tiles[2].layout.display == "none" and "file missing" in g.captions[0].value
        g.label_filter.value = "FAKE"
        assert g.page == 0 and g.shown == ["c_fake.mp4", "a_fake.mp4", "gone.mp4"]
        g.buttons[1].click()  # a_fake.mp4
        assert g.opened == "a_fake.mp4" and opened == ["a_fake.mp4"]
        result = explorer.wait()
        assert explorer.picker.value == "a_fake.mp4" and result.name == "a_fake.mp4" and result.ok
        assert result.clip is not None and explorer.video.value == result.clip.data
        assert explorer.video.layout.display == ""
    finally:
        g.close()
        explorer.close()


def test_hundreds_of_videos_stay_responsive(tmp_path):
    """450 listed videos (no files): the gallery builds one page of tiles, not 450."""
    root = tmp_path / "big"
    root.mkdir()
    meta = {f"v{i:03d}.mp4": {"label": "FAKE" if i % 3 else "REAL", "split": "train", "original": None}
            for i in range(450)}
    (root / "metadata.json").write_text(json.dumps(meta))
    t0 = time.perf_counter()
    g = Gallery(Dataset.from_folder(root), page_size=24)
    try:
        g.label_filter.value = "REAL"
        g.show_page(6)
        elapsed = time.perf_counter() - t0
        assert len(g.tiles) == 24 and g.page == 6 and "page 7 of 7" in g.page_label.value
        assert g.shown == [f"v{i:03d}.mp4" for i in range(6 * 24 * 3, 150 * 3, 3)]
        assert elapsed < 30  # generous: a check against building every tile, not a benchmark
    finally:
        g.close()
