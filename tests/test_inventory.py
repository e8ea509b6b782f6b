"""Tables over a dataset's files: container properties, pairs, per-file error collection, detector comparison."""

import numpy as np
import pandas as pd
import pytest

from conftest import FixedBox, moving_pattern
from dfexplore.errors import PerFile, VideoError, per_file
from dfexplore.faces import compare_detectors
from dfexplore.inventory import PROPERTY_COLUMNS, pair_properties, video_properties
from dfexplore.plots import property_histograms
from dfexplore.video import write_video


@pytest.fixture
def folder(tmp_path):
    write_video(tmp_path / "a.mp4", moving_pattern(n=10, h=64, w=80), 25.0)
    write_video(tmp_path / "b.mp4", moving_pattern(n=8, h=48, w=60, seed=1), 20.0)
    write_video(tmp_path / "c.mp4", moving_pattern(n=10, h=64, w=80, seed=2), 25.0)
    (tmp_path / "bad.mp4").write_bytes(b"not a video at all")
    return tmp_path


def test_video_properties_reads_containers_and_keeps_bad_files_as_rows(folder):
    paths = [folder / n for n in ("a.mp4", "b.mp4", "bad.mp4")]
    props = video_properties(paths)
    assert list(props.columns) == list(PROPERTY_COLUMNS)
    assert list(props.index) == ["a.mp4", "b.mp4", "bad.mp4"] and props.index.name == "file"
    a = props.loc["a.mp4"]
    assert a["resolution"] == "80x64" and a["width"] == 80 and a["height"] == 64
    assert a["fps"] == pytest.approx(25.0) and a["frames"] == 10 and a["duration (s)"] == pytest.approx(0.4)
    assert a["size (MB)"] == pytest.approx((folder / "a.mp4").stat().st_size / 1e6)
    assert a["bitrate (Mbit/s)"] == pytest.approx(8 * a["size (MB)"] / 0.4)
    assert a["error"] is None
    bad = props.loc["bad.mp4"]
    assert "bad.mp4" in bad["error"] and bad["resolution"] is None and np.isnan(bad["fps"])


def test_pair_properties_compares_each_fake_with_its_original(folder):
    props = video_properties(sorted(folder.glob("*.mp4")))
    pairs = pd.DataFrame({"original": ["a.mp4", "a.mp4", "a.mp4"]}, index=["b.mp4", "c.mp4", "bad.mp4"])
    table = pair_properties(pairs, props)
    assert list(table.index) == ["b.mp4", "c.mp4"]  # the unreadable fake is left out
    assert table.loc["c.mp4", ["same resolution", "same fps", "same frames"]].tolist() == [True, True, True]
    assert table.loc["b.mp4", ["same resolution", "same fps", "same frames"]].tolist() == [False, False, False]
    assert table.loc["c.mp4", "size ratio"] == pytest.approx(props.loc["c.mp4", "size (MB)"] / props.loc["a.mp4", "size (MB)"])
    assert pair_properties(pairs.iloc[:0], props).empty


def test_per_file_collects_dfexplore_errors_and_lets_bugs_through(folder):
    def fn(path):
        if path.name == "bad.mp4":
            raise VideoError(path, "corrupt")
        return path.stem

    out = per_file(fn, [folder / "a.mp4", folder / "bad.mp4"])
    assert isinstance(out, PerFile)
    assert out.results == {"a.mp4": "a"} and list(out.failures) == ["bad.mp4"]
    assert out.summary() == f"1 of 2 files analysed; skipped (failed): {folder / 'bad.mp4'}: corrupt"
    assert per_file(fn, [folder / "a.mp4"]).summary("read") == "1 of 1 files read"
    with pytest.raises(ZeroDivisionError):
        per_file(lambda p: 1 / 0, [folder / "a.mp4"])


def test_compare_detectors_counts_hits_agreement_and_the_track(folder):
    on = FixedBox([10, 10, 40, 40])
    elsewhere = FixedBox([50, 30, 78, 60])  # overlaps nothing of `on`
    blind = FixedBox(None)
    row = compare_detectors(folder / "a.mp4", {"ref": on, "other": elsewhere}, samples=5, max_frames=10,
                            detect_every=2, tracker=on)
    assert row["frames sampled"] == 5
    assert row["ref hits"] == 1.0 and row["other hits"] == 1.0
    assert row["agree"] == 0.0 and row["conflicts"] == 5 and row["conflicts at"] == [0, 2, 4, 6, 8]
    assert row["tracked"] == 1.0 and row["track on face"] == 1.0
    row = compare_detectors(folder / "a.mp4", {"ref": blind, "other": blind}, samples=3, max_frames=10, tracker=blind)
    assert row["ref hits"] == 0.0 and row["agree"] == 1.0 and row["conflicts"] == 0
    assert row["ref missed at"] == "0, 3, 6" and row["tracked"] == 0.0 and np.isnan(row["track on face"])
    with pytest.raises(ValueError, match="detectors is empty"):
        compare_detectors(folder / "a.mp4", {})
    with pytest.raises(VideoError, match="bad.mp4"):
        compare_detectors(folder / "bad.mp4", {"ref": on})


def test_property_histograms_draws_every_readable_video(folder):
    props = video_properties(sorted(folder.glob("*.mp4")))
    props.insert(0, "label", ["FAKE", "REAL", "REAL", None])
    fig = property_histograms(props, title="t")
    axes = fig.axes
    assert len(axes) == 4 and fig._suptitle.get_text() == "t"
    counted = sum(p.get_height() for p in axes[0].patches)
    assert counted == 3  # the unreadable file has no size
    bars = sum(p.get_width() for p in axes[3].patches)
    assert bars == 3
    with pytest.raises(ValueError, match="fps"):
        property_histograms(props.drop(columns=["fps"]))
