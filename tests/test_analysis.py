import json

import numpy as np
import pytest

from conftest import FixedBox, moving_pattern
from dfexplore.analysis import Basis, VideoAnalysis, analyze_video
from dfexplore.classify import Verdict, threshold_verdict
from dfexplore.errors import VideoError
from dfexplore.faces import crop, resolve_detector
from dfexplore.similarity import ssim_series
from dfexplore.video import iter_frames


def test_analysis_on_face_crops_equals_the_pieces(make_clip):
    path = make_clip(frames=moving_pattern(n=20, h=64, w=80))
    det = FixedBox([20, 10, 60, 50])
    result = analyze_video(path, det, size=32, detect_every=5, margin=0.0)
    assert isinstance(result, VideoAnalysis)
    assert result.basis == "face" and result.frames_read == 20 and result.face_frames == 20
    assert result.basis is Basis.FACE
    assert det.calls == 5  # frames 0, 5, 10, 15 and the last one
    # Same numbers as doing it by hand from the library's pieces.
    crops = [crop(f, [20, 10, 60, 50], margin=0.0, size=32) for f in iter_frames(path)]
    expected = ssim_series(crops, backend="opencv")
    assert result.scores == pytest.approx(expected, abs=1e-6)
    assert result.frame_index.tolist() == list(range(1, 20))
    assert result.report == threshold_verdict(expected)
    assert result.verdict is result.report.verdict
    assert len(result.preview) > 0 and all(c.shape == (32, 32, 3) for c in result.preview.values())


def test_basis_is_a_string_enum_that_reads_and_hashes_as_its_value():
    assert [b.value for b in Basis] == ["face", "whole frame"]
    assert Basis("whole frame") is Basis.WHOLE_FRAME and Basis.FACE == "face" and Basis.FACE != "whole frame"
    assert str(Basis.WHOLE_FRAME) == "whole frame" and f"SSIM on {Basis.FACE}s" == "SSIM on faces"
    assert json.dumps({"basis": Basis.WHOLE_FRAME}) == '{"basis": "whole frame"}'
    assert {Basis.FACE, Basis.WHOLE_FRAME} == {"face", "whole frame"}  # what notebooks compare with
    with pytest.raises(ValueError):
        Basis("FACE")


def test_analysis_to_dict_is_json(make_clip):
    result = analyze_video(make_clip(), FixedBox([10, 10, 50, 50]), size=32)
    d = json.loads(json.dumps(result.to_dict()))
    assert d["verdict"] in {v.value for v in Verdict}
    assert d["file"] == "clip.mp4" and d["frames_read"] == 12 and d["basis"] == "face"
    assert type(result.to_dict()["basis"]) is str
    assert d["info"]["frame_count"] == 12


def test_analysis_without_a_face_falls_back_to_whole_frames(make_clip):
    path = make_clip(frames=moving_pattern(n=10, h=64, w=80))
    result = analyze_video(path, FixedBox(None), size=40)
    assert result.basis == "whole frame" and result.face_frames == 0
    assert result.basis is Basis.WHOLE_FRAME
    assert len(result.scores) == 9
    expected = ssim_series(iter_frames(path, max_side=40), backend="opencv")
    assert result.scores == pytest.approx(expected, abs=1e-6)
    assert "no face found" in result.reason and "whole frames" in result.reason


def test_analysis_stride_and_max_frames(make_clip):
    path = make_clip(frames=moving_pattern(n=20, h=64, w=80))
    result = analyze_video(path, FixedBox([20, 10, 60, 50]), size=32, stride=2, max_frames=6)
    assert result.frames_read == 6
    assert result.frame_index.tolist() == [2, 4, 6, 8, 10]


def test_analysis_of_a_one_frame_video_says_so(make_clip):
    path = make_clip(frames=moving_pattern(n=1))
    with pytest.raises(VideoError, match=r"1 frame\(s\) to analyse; comparing consecutive frames needs at least 2"):
        analyze_video(path, FixedBox([10, 10, 40, 40]))


def test_analysis_of_a_missing_file(tmp_path):
    with pytest.raises(VideoError, match="missing.mp4: no such file"):
        analyze_video(tmp_path / "missing.mp4")


def test_analysis_on_a_real_face_clip(face_clip):
    result = analyze_video(face_clip, "haar", size=96, detect_every=5)
    assert result.basis == "face" and result.face_fraction == 1.0
    assert len(result.scores) == 23
    assert np.all((result.scores > 0.3) & (result.scores <= 1.0))


def test_a_named_detector_is_built_once():
    assert resolve_detector("haar") is resolve_detector("haar")


def test_progress_is_reported_and_can_abandon_the_analysis(make_clip):
    path = make_clip(frames=moving_pattern(n=25, h=64, w=80))
    seen = []
    analyze_video(path, FixedBox([20, 10, 60, 50]), size=32, detect_every=10, progress=lambda d, e: seen.append((d, e)))
    assert seen == [(0, 25), (10, 25), (20, 25), (25, 25)]

    class Stop(Exception):
        pass

    def stop(done, expected):
        if done >= 10:
            raise Stop

    with pytest.raises(Stop):
        analyze_video(path, FixedBox([20, 10, 60, 50]), size=32, progress=stop)


def test_a_detector_can_be_shared_by_threads(face_photo):
    from concurrent.futures import ThreadPoolExecutor

    from dfexplore.faces import HaarDetector

    det = HaarDetector()
    expected = det.detect(face_photo).xyxy.tolist()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: det.detect(face_photo).xyxy.tolist(), range(8)))
    assert all(r == expected for r in results)


def test_scores_skip_pairs_across_frames_without_a_face(make_clip):
    """A frame without a face ends a run: no pair spans the gap, runs longer than a chunk are whole."""
    from dfexplore.analysis import _RunScorer

    frames = moving_pattern(n=8, h=32, w=32)
    scorer = _RunScorer("opencv", chunk=2)
    follows = [False, True, True, True, False, True, True, True]  # frame 4 starts a new run
    for i, (f, fol) in enumerate(zip(frames, follows)):
        scorer.add(f, i, fol)
    index, scores = scorer.result()
    assert index.tolist() == [1, 2, 3, 5, 6, 7]
    expected = np.concatenate([ssim_series(frames[:4], backend="opencv"), ssim_series(frames[4:], backend="opencv")])
    assert scores == pytest.approx(expected, abs=1e-6)
