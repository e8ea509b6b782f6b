import json
import subprocess
import sys

import pytest

from dfexplore.cli import main


def test_verdict_json_lines_and_error_lines(face_clip, tmp_path, capsys):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    code = main(["verdict", str(face_clip), str(bad), str(face_clip), "--json"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1  # one file failed
    assert [("error" in d) for d in out] == [False, True, False]  # the others still ran, in order
    assert out[0]["verdict"] in {"REAL", "FAKE", "MAYBE_FAKE"} and out[0]["basis"] == "face"
    assert out[1]["file"] == "bad.mp4" and "cannot be opened as a video" in out[1]["error"]


def test_verdict_text_output(face_clip, tmp_path, capsys):
    code = main(["verdict", str(face_clip), str(tmp_path / "nope.mp4")])
    cap = capsys.readouterr()
    assert code == 1
    assert cap.out.startswith("face.mp4: P(FAKE) ") and "seed's rule:" in cap.out and "SSIM on faces" in cap.out
    assert "nope.mp4: no such file" in cap.err


def test_verdict_shows_the_frame_models_probability_by_default(face_clip, capsys):
    from dfexplore.framemodel import resolve_frame_model

    model = resolve_frame_model("default")
    assert main(["verdict", str(face_clip), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert 0 <= d["probability"] <= 1 and d["probability_source"] == model.name and d["frame_crops"] > 0
    assert main(["verdict", str(face_clip), "--json", "--frame-model", "none"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["probability"] is None and d["probability_source"] is None
    assert main(["verdict", str(face_clip), "--frame-model", "none"]) == 0
    assert capsys.readouterr().out.startswith("face.mp4: no frame model; seed's rule: ")


def test_a_missing_frame_model_is_a_clear_error(face_clip, tmp_path, capsys):
    assert main(["verdict", str(face_clip), "--frame-model", str(tmp_path / "m.tflite")]) == 1
    assert "--frame-model: no frame model at" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["verdict", str(face_clip), "--frame-model", "model.keras"])
    assert "expected 'default', 'none' or a .tflite file" in capsys.readouterr().err


def test_info(face_clip, capsys):
    assert main(["info", str(face_clip), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["frame_count"] == 24 and d["width"] == 320 and d["face_found"] is True


def test_info_text_and_missing(face_clip, tmp_path, capsys):
    assert main(["info", str(face_clip), str(tmp_path / "x.mp4")]) == 1
    cap = capsys.readouterr()
    assert "320x320, 24.00 fps, 24 frames" in cap.out and "x.mp4: no such file" in cap.err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["verdict"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["verdict", "x.mp4", "--detector", "yolo"])
    assert e.value.code == 2


def test_python_m_entry_point(face_clip):
    proc = subprocess.run(
        [sys.executable, "-m", "dfexplore", "verdict", str(face_clip), "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["file"] == "face.mp4"
    assert "tensorflow" not in proc.stderr.lower()  # the Haar path never imports TensorFlow


def test_verdict_on_every_real_clip(real_sample, capsys):
    clips = sorted(real_sample.glob("*.mp4"))
    assert len(clips) == 14
    code = main(["verdict", *map(str, clips), "--json", "--max-frames", "150"])
    rows = {d["file"]: d for d in map(json.loads, capsys.readouterr().out.splitlines())}
    assert code == 0 and set(rows) == {c.name for c in clips}
    assert all("error" not in d for d in rows.values())
    assert rows["noface_animation.mp4"]["basis"] == "whole frame"
    face_clips = [d for name, d in rows.items() if name != "noface_animation.mp4"]
    low = {d["file"]: d["face_fraction"] for d in face_clips if d["basis"] != "face" or d["face_fraction"] < 0.8}
    assert not low, f"face found in under 80% of frames: {low}"


@pytest.mark.parametrize("args", [["--stride", "0"], ["--detect-every", "-1"], ["--max-frames", "x"]])
def test_bad_numbers_are_usage_errors(args, capsys):
    with pytest.raises(SystemExit) as e:
        main(["verdict", "x.mp4", *args])
    assert e.value.code == 2
    assert "expected a" in capsys.readouterr().err
