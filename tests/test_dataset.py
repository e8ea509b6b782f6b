"""Tests for dfexplore.dataset: generated DFDC-layout folders, then the real sample."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dfexplore.dataset import Dataset, Original
from dfexplore.errors import DatasetError, DfexploreError

# A small DFDC-like dataset: two originals (one present, one absent), three fakes.
ENTRIES = {
    "real_a.mp4": {"label": "REAL", "split": "train", "original": None},
    "fake_a1.mp4": {"label": "FAKE", "split": "train", "original": "real_a.mp4"},
    "fake_a2.mp4": {"label": "FAKE", "split": "train", "original": "real_a.mp4"},
    "fake_b1.mp4": {"label": "FAKE", "split": "train", "original": "real_b.mp4"},
    "real_c.mp4": {"label": "REAL", "split": "test", "original": None},
}


def write_folder(root: Path, metadata, videos=()) -> Path:
    """Write ``metadata`` (a dict -> JSON, a str -> verbatim, None -> no file) and
    placeholder video files (a few bytes; nothing in dataset.py decodes them)."""
    root.mkdir(parents=True, exist_ok=True)
    if isinstance(metadata, str):
        (root / "metadata.json").write_text(metadata)
    elif metadata is not None:
        (root / "metadata.json").write_text(json.dumps(metadata))
    for name in videos:
        (root / name).write_bytes(b"\x00\x00\x00\x18ftypmp42 not a real video")
    return root


@pytest.fixture
def small(make_dataset) -> Dataset:
    """ENTRIES with every file present except real_b.mp4 (never listed) and real_c.mp4."""
    videos = ["real_a.mp4", "fake_a1.mp4", "fake_a2.mp4", "fake_b1.mp4"]
    return Dataset.from_folder(make_dataset(ENTRIES, videos=videos))


# ---------------------------------------------------------------------------- from_folder


def test_meta_table_shape_and_types(small):
    meta = small.meta
    assert list(meta.columns) == ["label", "split", "original", "path", "exists", "original_exists"]
    assert meta.index.name == "file"
    assert list(meta.index) == sorted(ENTRIES)
    assert meta["exists"].dtype == bool and meta["original_exists"].dtype == bool
    # missing values are None, never NaN
    assert meta.loc["real_a.mp4", "original"] is None
    assert all(v is None or isinstance(v, str) for v in meta["original"])
    assert all(isinstance(v, str) for v in meta["label"])
    assert len(small) == 5


def test_paths_exists_and_original_exists(small, tmp_path):
    meta = small.meta
    root = (tmp_path / "ds").resolve()
    assert small.root == root
    assert small.metadata_path == root / "metadata.json"
    assert meta.loc["fake_a1.mp4", "path"] == str(root / "fake_a1.mp4")
    assert Path(meta.loc["fake_a1.mp4", "path"]).is_absolute()
    assert meta["exists"].to_dict() == {
        "fake_a1.mp4": True, "fake_a2.mp4": True, "fake_b1.mp4": True, "real_a.mp4": True, "real_c.mp4": False,
    }
    assert meta["original_exists"].to_dict() == {
        "fake_a1.mp4": True, "fake_a2.mp4": True, "fake_b1.mp4": False, "real_a.mp4": False, "real_c.mp4": False,
    }


def test_meta_is_a_copy(small):
    meta = small.meta
    meta.loc["fake_a1.mp4", "label"] = "REAL"
    assert meta.loc["fake_a1.mp4", "label"] == "REAL"
    assert small.label("fake_a1.mp4") == "FAKE"


def test_relative_folder_path_is_made_absolute(make_dataset, monkeypatch, tmp_path):
    make_dataset(ENTRIES, videos=["real_a.mp4"])
    monkeypatch.chdir(tmp_path)
    ds = Dataset.from_folder("ds")
    assert ds.root == (tmp_path / "ds").resolve()
    assert Path(ds.meta.loc["real_a.mp4", "path"]).is_absolute()


def test_unlisted_videos_become_unlabelled_rows(tmp_path):
    root = write_folder(
        tmp_path / "ds",
        {"a.mp4": {"label": "REAL"}},
        videos=["a.mp4", "b.MP4", "c.webm", "d.Mov", "e.avi", "f.mkv", "notes.txt", "thumb.jpg"],
    )
    (root / "sub.mp4").mkdir()  # a folder named like a video is not a video
    ds = Dataset.from_folder(root)
    assert list(ds.meta.index) == ["a.mp4", "b.MP4", "c.webm", "d.Mov", "e.avi", "f.mkv"]
    assert ds.label("a.mp4") == "REAL"
    for name in ["b.MP4", "c.webm", "d.Mov", "e.avi", "f.mkv"]:
        assert ds.label(name) is None
        assert ds.meta.loc[name, "split"] is None
        assert ds.original(name) is None
        assert ds.meta.loc[name, "exists"]


def test_folder_without_metadata_is_all_unlabelled(make_dataset, tmp_path):
    root = tmp_path / "test_videos"
    write_folder(root, None, videos=["x.mp4", "y.mp4"])
    ds = Dataset.from_folder(root)
    assert ds.metadata_path is None
    assert len(ds) == 2
    assert ds.meta["label"].tolist() == [None, None]
    assert ds.label_counts().to_dict() == {"FAKE": 0, "REAL": 0, "UNKNOWN": 2}
    assert ds.videos(label="UNKNOWN") == [root.resolve() / "x.mp4", root.resolve() / "y.mp4"]


def test_folder_without_metadata_or_videos(tmp_path):
    root = write_folder(tmp_path / "empty", None, videos=["readme.txt"])
    with pytest.raises(DatasetError, match=r"empty: no metadata\.json and no video files"):
        Dataset.from_folder(root)


def test_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match=r"nowhere: dataset folder not found"):
        Dataset.from_folder(tmp_path / "nowhere")


def test_folder_is_a_file(tmp_path):
    f = tmp_path / "metadata.json"
    f.write_text("{}")
    with pytest.raises(DatasetError, match=r"metadata\.json: is not a folder.*from_metadata"):
        Dataset.from_folder(f)


def test_empty_metadata_object_gives_empty_dataset(tmp_path):
    ds = Dataset.from_folder(write_folder(tmp_path / "ds", {}))
    assert len(ds) == 0
    assert ds.label_counts().to_dict() == {"FAKE": 0, "REAL": 0}
    assert ds.videos() == []
    assert ds.fakes_per_original().empty
    assert ds.missing_originals() == []


def test_missing_split_and_original_keys_read_as_none(tmp_path):
    ds = Dataset.from_folder(write_folder(tmp_path / "ds", {"a.mp4": {"label": "FAKE"}}, videos=["a.mp4"]))
    assert ds.meta.loc["a.mp4", "split"] is None
    assert ds.meta.loc["a.mp4", "original"] is None
    assert ds.original("a.mp4") is None
    assert not ds.meta.loc["a.mp4", "original_exists"]


def test_extra_entry_keys_are_ignored(tmp_path):
    md = {"a.mp4": {"label": "REAL", "split": "train", "original": None, "width": 1920, "note": "x"}}
    ds = Dataset.from_folder(write_folder(tmp_path / "ds", md, videos=["a.mp4"]))
    assert list(ds.meta.columns) == ["label", "split", "original", "path", "exists", "original_exists"]


def test_metadata_with_utf8_bom(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    (root / "metadata.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"a.mp4": {"label": "REAL"}}).encode())
    assert Dataset.from_folder(root).label("a.mp4") == "REAL"


def test_corrupt_video_files_are_not_opened(tmp_path):
    # dataset.py looks only at names; a garbage "video" is listed as present
    root = write_folder(tmp_path / "ds", {"a.mp4": {"label": "REAL"}})
    (root / "a.mp4").write_bytes(b"garbage")
    ds = Dataset.from_folder(root)
    assert ds.path("a.mp4") == root.resolve() / "a.mp4"


def test_module_does_not_import_video_decoders():
    code = "import sys, dfexplore.dataset; assert 'cv2' not in sys.modules; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- validation

BAD_METADATA = [
    pytest.param("", r"metadata\.json: metadata file is empty", id="empty"),
    pytest.param("  \n ", r"metadata\.json: metadata file is empty", id="whitespace"),
    pytest.param('{"a.mp4": {"label": "REAL",}}', r"metadata\.json: invalid JSON at line 1 column 28: Expecting property name", id="json"),
    pytest.param('{\n "a.mp4": {"label": "REAL"}\n "b.mp4": {}}', r"invalid JSON at line 3 column 2", id="json-line"),
    pytest.param('["a.mp4"]', r"metadata\.json: top level must be a JSON object .*got array", id="list"),
    pytest.param('"a.mp4"', r"top level must be a JSON object .*got string", id="string"),
    pytest.param('{"a.mp4": "FAKE"}', r"metadata\.json: entry 'a\.mp4' must be a JSON object.*got string 'FAKE'",
                 id="entry-string"),
    pytest.param('{"a.mp4": null}', r"entry 'a\.mp4' must be a JSON object.*got null", id="entry-null"),
    pytest.param('{"a.mp4": {"split": "train"}}', r"metadata\.json: entry 'a\.mp4' has no \"label\"",
                 id="no-label"),
    pytest.param('{"a.mp4": {"label": "fake"}}',
                 r"entry 'a\.mp4': label must be 'REAL' or 'FAKE', got 'fake' \(labels are exactly upper case: use 'FAKE'\)",
                 id="label-lower"),
    pytest.param('{"a.mp4": {"label": "Real"}}', r"got 'Real' .*use 'REAL'", id="label-title"),
    pytest.param('{"a.mp4": {"label": "MAYBE"}}', r"entry 'a\.mp4': label must be 'REAL' or 'FAKE', got 'MAYBE'$",
                 id="label-other"),
    pytest.param('{"a.mp4": {"label": null}}', r"entry 'a\.mp4': label must be .*got None", id="label-null"),
    pytest.param('{"a.mp4": {"label": 1}}', r"entry 'a\.mp4': label must be .*got 1", id="label-number"),
    pytest.param('{"a.mp4": {"label": "FAKE", "original": 3}}',
                 r"entry 'a\.mp4': \"original\" must be a file name string or null, got number 3", id="original-int"),
    pytest.param('{"a.mp4": {"label": "FAKE", "original": ["b.mp4"]}}',
                 r"\"original\" must be a file name string or null, got array", id="original-list"),
    pytest.param('{"a.mp4": {"label": "FAKE", "original": ""}}', r"entry 'a\.mp4': \"original\" is an empty file name",
                 id="original-empty"),
    pytest.param('{"a.mp4": {"label": "FAKE", "original": "../b.mp4"}}',
                 r"entry 'a\.mp4': \"original\" '\.\./b\.mp4' is not a plain file name", id="original-path"),
    pytest.param('{"a.mp4": {"label": "REAL", "split": 1}}',
                 r"entry 'a\.mp4': \"split\" must be a string or null, got number 1", id="split-int"),
    pytest.param('{"a.mp4": {"label": "REAL", "split": ["train"]}}', r"\"split\" must be a string or null, got array",
                 id="split-list"),
    pytest.param('{"sub/a.mp4": {"label": "REAL"}}', r"metadata\.json: key 'sub/a\.mp4' is not a plain file name",
                 id="name-slash"),
    pytest.param('{"sub\\\\a.mp4": {"label": "REAL"}}', r"key 'sub\\\\a\.mp4' is not a plain file name",
                 id="name-backslash"),
    pytest.param('{"..": {"label": "REAL"}}', r"key '\.\.' is not a plain file name", id="name-dotdot"),
    pytest.param('{"../x.mp4": {"label": "REAL"}}', r"key '\.\./x\.mp4' is not a plain file name",
                 id="name-parent"),
    pytest.param('{"": {"label": "REAL"}}', r"metadata\.json: key is an empty file name", id="name-empty"),
    pytest.param('{"a.mp4": {"label": "REAL"}, "a.mp4": {"label": "FAKE"}}',
                 r"metadata\.json: key 'a\.mp4' appears more than once", id="duplicate"),
]


@pytest.mark.parametrize("text, match", BAD_METADATA)
def test_bad_metadata_in_folder(tmp_path, text, match):
    root = write_folder(tmp_path / "ds", text, videos=["a.mp4"])
    with pytest.raises(DatasetError, match=match) as info:
        Dataset.from_folder(root)
    assert str(root.resolve() / "metadata.json") in str(info.value)


@pytest.mark.parametrize("text, match", BAD_METADATA)
def test_bad_metadata_alone(tmp_path, text, match):
    p = tmp_path / "meta.json"
    p.write_text(text)
    with pytest.raises(DatasetError, match=match.replace(r"metadata\.json", r"meta\.json")) as info:
        Dataset.from_metadata(p)
    assert str(p.resolve()) in str(info.value)


def test_bad_entry_is_named_among_good_ones(tmp_path):
    md = dict(ENTRIES, **{"bad.mp4": {"label": "FAKE", "original": 7}})
    with pytest.raises(DatasetError, match=r"entry 'bad\.mp4'"):
        Dataset.from_folder(write_folder(tmp_path / "ds", md))


def test_non_utf8_metadata(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    (root / "metadata.json").write_bytes(b'{"a.mp4": {"label": "\xff"}}')
    with pytest.raises(DatasetError, match=r"metadata\.json: not UTF-8 text"):
        Dataset.from_folder(root)


def test_metadata_json_is_a_folder(tmp_path):
    root = tmp_path / "ds"
    (root / "metadata.json").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"metadata\.json: is not a file"):
        Dataset.from_folder(root)


def test_errors_are_catchable_as_value_error(tmp_path):
    with pytest.raises(ValueError):
        Dataset.from_folder(tmp_path / "nowhere")
    with pytest.raises(DfexploreError):
        Dataset.from_folder(tmp_path / "nowhere")


# ---------------------------------------------------------------------------- from_metadata


def test_from_metadata(tmp_path):
    p = tmp_path / "meta.json"
    p.write_text(json.dumps(ENTRIES))
    ds = Dataset.from_metadata(p)
    assert ds.root is None
    assert ds.metadata_path == p.resolve()
    assert len(ds) == 5
    assert ds.meta["path"].tolist() == [None] * 5
    assert not ds.meta["exists"].any() and not ds.meta["original_exists"].any()
    assert ds.videos() == []
    assert ds.label_counts().to_dict() == {"FAKE": 3, "REAL": 2}
    assert ds.original("fake_a1.mp4") == Original("real_a.mp4", None, False)
    assert ds.missing_originals() == ["real_a.mp4", "real_b.mp4"]
    with pytest.raises(DatasetError, match=r"meta\.json: 'fake_a1\.mp4' has no file: .*from metadata only"):
        ds.path("fake_a1.mp4")


def test_from_metadata_missing_file(tmp_path):
    with pytest.raises(DatasetError, match=r"nothere\.json: metadata file not found"):
        Dataset.from_metadata(tmp_path / "nothere.json")


def test_from_metadata_given_a_folder(tmp_path):
    with pytest.raises(DatasetError, match=r"is not a file; give the path of a metadata\.json"):
        Dataset.from_metadata(tmp_path)


# ---------------------------------------------------------------------------- look-ups


def test_label(small):
    assert small.label("real_a.mp4") == "REAL"
    assert small.label("fake_b1.mp4") == "FAKE"


@pytest.mark.parametrize("method", ["label", "original", "path"])
def test_unknown_name(small, method):
    with pytest.raises(DatasetError, match=r"ds: no video named 'fake_a3\.mp4' in the dataset \(5 videos\); "
                                           r"did you mean .*'fake_a1\.mp4'"):
        getattr(small, method)("fake_a3.mp4")


def test_unknown_name_without_close_match(small):
    with pytest.raises(DatasetError, match=r"no video named 'zzzz' .*see Dataset\.meta\.index"):
        small.label("zzzz")


def test_name_must_be_a_string(small):
    with pytest.raises(DatasetError, match=r"video name must be a file name string, got int 3"):
        small.label(3)


def test_contains(small):
    assert "real_a.mp4" in small
    assert "real_b.mp4" not in small
    assert 3 not in small


def test_original_distinguishes_none_present_and_absent(small, tmp_path):
    root = (tmp_path / "ds").resolve()
    assert small.original("real_a.mp4") is None
    present = small.original("fake_a1.mp4")
    assert present == Original(name="real_a.mp4", path=root / "real_a.mp4", exists=True)
    absent = small.original("fake_b1.mp4")
    assert absent == Original(name="real_b.mp4", path=None, exists=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        absent.exists = True


def test_path(small, tmp_path):
    assert small.path("fake_a2.mp4") == (tmp_path / "ds").resolve() / "fake_a2.mp4"
    assert small.path("fake_a2.mp4").is_file()


def test_path_of_listed_but_absent_file(small):
    with pytest.raises(DatasetError, match=r"ds: 'real_c\.mp4' is listed in the metadata but its file is not in the folder"):
        small.path("real_c.mp4")


def test_videos(small, tmp_path):
    root = (tmp_path / "ds").resolve()
    assert small.videos() == [root / n for n in ["fake_a1.mp4", "fake_a2.mp4", "fake_b1.mp4", "real_a.mp4"]]
    assert small.videos(label="FAKE") == [root / n for n in ["fake_a1.mp4", "fake_a2.mp4", "fake_b1.mp4"]]
    assert small.videos("REAL") == [root / "real_a.mp4"]  # real_c.mp4 is absent
    assert small.videos("UNKNOWN") == []


@pytest.mark.parametrize(
    "label, match",
    [
        ("fake", r"label must be 'REAL', 'FAKE', 'UNKNOWN' or None, got 'fake' \(labels are upper case: use 'FAKE'\)"),
        ("both", r"label must be 'REAL', 'FAKE', 'UNKNOWN' or None, got 'both'$"),
        (1, r"got 1"),
        (True, r"got True"),
    ],
)
def test_videos_bad_label(small, label, match):
    with pytest.raises(DatasetError, match=match):
        small.videos(label)


# ---------------------------------------------------------------------------- statistics


def test_label_counts(small):
    counts = small.label_counts()
    assert isinstance(counts, pd.Series)
    assert counts.index.name == "label"
    assert list(counts.index) == ["FAKE", "REAL"]
    assert counts.tolist() == [3, 2]
    assert counts.dtype == "int64"


@pytest.mark.parametrize(
    "labels, expected",
    [
        (["REAL", "REAL"], {"FAKE": 0, "REAL": 2}),
        (["FAKE"], {"FAKE": 1, "REAL": 0}),
    ],
)
def test_label_counts_always_has_both_labels(tmp_path, labels, expected):
    md = {f"v{i}.mp4": {"label": lab} for i, lab in enumerate(labels)}
    counts = Dataset.from_metadata(write_folder(tmp_path / "ds", md) / "metadata.json").label_counts()
    assert counts.to_dict() == expected
    assert list(counts.index) == ["FAKE", "REAL"]


def test_label_counts_unknown_only_when_present(tmp_path):
    root = write_folder(tmp_path / "ds", {"a.mp4": {"label": "REAL"}}, videos=["a.mp4", "b.mp4", "c.mp4"])
    counts = Dataset.from_folder(root).label_counts()
    assert list(counts.index) == ["FAKE", "REAL", "UNKNOWN"]
    assert counts.tolist() == [0, 1, 2]


def test_fakes_per_original(tmp_path):
    md = {
        "o1_a.mp4": {"label": "FAKE", "original": "o1.mp4"},
        "o2_a.mp4": {"label": "FAKE", "original": "o2.mp4"},
        "o2_b.mp4": {"label": "FAKE", "original": "o2.mp4"},
        "o2_c.mp4": {"label": "FAKE", "original": "o2.mp4"},
        "o0_a.mp4": {"label": "FAKE", "original": "o0.mp4"},
        "lone.mp4": {"label": "FAKE", "original": None},  # not counted
        "o1.mp4": {"label": "REAL"},
        "odd.mp4": {"label": "REAL", "original": "o1.mp4"},  # a REAL naming an original is not a fake
    }
    ds = Dataset.from_metadata(write_folder(tmp_path / "ds", md) / "metadata.json")
    s = ds.fakes_per_original()
    assert s.index.name == "original"
    assert s.dtype == "int64"
    # descending, ties by name
    assert list(s.items()) == [("o2.mp4", 3), ("o0.mp4", 1), ("o1.mp4", 1)]


def test_fakes_per_original_with_no_fakes(tmp_path):
    ds = Dataset.from_metadata(write_folder(tmp_path / "ds", {"a.mp4": {"label": "REAL"}}) / "metadata.json")
    s = ds.fakes_per_original()
    assert s.empty and s.dtype == "int64" and s.index.name == "original"


def test_missing_originals(small):
    assert small.missing_originals() == ["real_b.mp4"]


def test_missing_originals_sorted_and_unique(tmp_path):
    md = {
        "f1.mp4": {"label": "FAKE", "original": "zz.mp4"},
        "f2.mp4": {"label": "FAKE", "original": "aa.mp4"},
        "f3.mp4": {"label": "FAKE", "original": "zz.mp4"},
        "f4.mp4": {"label": "FAKE", "original": "here.mp4"},
    }
    root = write_folder(tmp_path / "ds", md, videos=["f1.mp4", "f2.mp4", "f3.mp4", "f4.mp4", "here.mp4"])
    ds = Dataset.from_folder(root)
    assert ds.missing_originals() == ["aa.mp4", "zz.mp4"]
    # here.mp4 is present but unlisted: an unlabelled row, and it counts as existing
    assert ds.label("here.mp4") is None
    assert ds.original("f4.mp4").exists


def test_repr(small):
    assert re.search(r"Dataset\('.*ds', 5 videos: FAKE=3, REAL=2\)", repr(small))


# ---------------------------------------------------------------------------- real data


def test_real_sample(real_sample):
    ds = Dataset.from_folder(real_sample)
    root = real_sample.resolve()
    assert len(ds) == 14
    assert ds.label_counts().to_dict() == {"FAKE": 7, "REAL": 7}
    assert ds.meta["exists"].all()
    assert len(ds.videos()) == 14 and all(p.is_file() for p in ds.videos())
    assert len(ds.videos("FAKE")) == 7 and len(ds.videos("REAL")) == 7
    assert ds.label("lynaeydofd.mp4") == "REAL"
    assert ds.original("lynaeydofd.mp4") is None

    nt = ds.original("ffpp_c23_004_982_NeuralTextures.mp4")
    assert nt == Original("ffpp_c23_004.mp4", root / "ffpp_c23_004.mp4", True)
    assert nt.path.is_file()
    assert ds.original("abofeumbvv.mp4") == Original("atvmxvwyns.mp4", None, False)
    assert ds.missing_originals() == ["atvmxvwyns.mp4", "gnmmhlbzge.mp4", "qzimuostzz.mp4", "ybqmttnept.mp4"]
    assert ds.meta["original_exists"].sum() == 3  # the 004, 634 and gipallee pairs
    assert ds.fakes_per_original().sum() == 7


def test_full_metadata(full_metadata):
    ds = Dataset.from_metadata(full_metadata)
    assert len(ds) == 400
    assert ds.label_counts().to_dict() == {"FAKE": 323, "REAL": 77}
    assert not ds.meta["exists"].any()
    assert not ds.meta["original_exists"].any()
    assert ds.meta["path"].isna().all()
    fpo = ds.fakes_per_original()
    assert len(fpo) == 209
    assert fpo.sum() == 323
    assert fpo.is_monotonic_decreasing
    assert ds.meta["original"].nunique() == 209
    assert len(ds.missing_originals()) == 209
    assert ds.meta.loc[ds.meta["label"] == "REAL", "original"].isna().all()
    assert ds.original("abofeumbvv.mp4") == Original("atvmxvwyns.mp4", None, False)


def test_pairs_present_and_all(tmp_path):
    md = {
        "f_here.mp4": {"label": "FAKE", "original": "r.mp4"},
        "f_orphan.mp4": {"label": "FAKE", "original": "gone.mp4"},
        "f_absent.mp4": {"label": "FAKE", "original": "r.mp4"},  # listed, file not in the folder
        "f_none.mp4": {"label": "FAKE", "original": None},
        "r.mp4": {"label": "REAL"},
        "odd.mp4": {"label": "REAL", "original": "r.mp4"},  # a REAL naming an original is not a pair
    }
    videos = ["f_here.mp4", "f_orphan.mp4", "f_none.mp4", "r.mp4", "odd.mp4"]
    ds = Dataset.from_folder(write_folder(tmp_path / "ds", md, videos=videos))
    present = ds.pairs()
    assert list(present.index) == ["f_here.mp4"] and present.loc["f_here.mp4", "original"] == "r.mp4"
    assert list(present.columns) == ["original", "exists", "original_exists"]
    every = ds.pairs(present=False)
    assert list(every.index) == ["f_absent.mp4", "f_here.mp4", "f_orphan.mp4"]
    assert every["exists"].tolist() == [False, True, True]
    assert every["original_exists"].tolist() == [True, True, False]


def test_pairs_empty_without_fakes(tmp_path):
    ds = Dataset.from_metadata(write_folder(tmp_path / "ds", {"a.mp4": {"label": "REAL"}}) / "metadata.json")
    assert ds.pairs().empty and list(ds.pairs().columns) == ["original", "exists", "original_exists"]


@pytest.mark.parametrize("name, want", [
    ("abofeumbvv.mp4", "DFDC"), ("ffpp_c23_634_660_FaceSwap.mp4", "FaceForensics++"),
    ("004_982_NeuralTextures.mp4", "FaceForensics++"), ("004.mp4", "FaceForensics++"),
    ("gipallee_real.mp4", "other"), ("abofeumbvvx.mp4", "other"), ("Abofeumbvv.mp4", "other"),
    ("some/folder/aaaaaaaaaa.mp4", "DFDC"),
])
def test_guess_source_by_name(name, want):
    from dfexplore.dataset import SOURCES, guess_source

    assert guess_source(name) == want and want in SOURCES
