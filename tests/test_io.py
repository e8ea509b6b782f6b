"""The one atomic-write helper (dfexplore._io): old or complete new file, never half, never litter."""

import os

import pytest

from dfexplore._io import atomic_file, atomic_write, replace_folder, temporary_name


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_creates_and_replaces(tmp_path):
    target = tmp_path / "entry.json"
    atomic_write(target, b"first")
    assert target.read_bytes() == b"first"
    atomic_write(target, b"second, longer")
    assert target.read_bytes() == b"second, longer"
    assert _names(tmp_path) == ["entry.json"]  # no temporary file left behind


def test_a_failure_inside_the_block_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "table.csv"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_file(target) as f:
            f.write(b"half of the new")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert _names(tmp_path) == ["table.csv"]


def test_ctrl_c_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "m.dfmodel"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_file(target) as f:
            f.write(b"new")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and _names(tmp_path) == ["m.dfmodel"]


def test_a_failed_rename_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out.parquet"
    target.mkdir()
    (target / "inside").write_text("x")  # a non-empty folder cannot be replaced by a file
    with pytest.raises(OSError):
        atomic_write(target, b"data")
    assert _names(tmp_path) == ["out.parquet"] and _names(target) == ["inside"]


def test_a_missing_folder_is_an_oserror_not_a_new_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "x.json", b"{}")
    assert not (tmp_path / "nope").exists()


def test_the_file_is_complete_under_the_temporary_name_before_the_rename(tmp_path, monkeypatch):
    target = tmp_path / "x.bin"
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.basename(src), open(src, "rb").read(), os.path.exists(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write(target, b"payload")
    (tmp_name, content, existed), = seen
    assert tmp_name.startswith(".x.bin.") and tmp_name.endswith(".tmp") and content == b"payload" and not existed


def test_temporary_names_are_hidden_unique_and_beside_the_target(tmp_path):
    a, b = temporary_name(tmp_path / "r.csv"), temporary_name(tmp_path / "r.csv", "probe")
    assert a.parent == b.parent == tmp_path and a != b
    assert a.name.startswith(".r.csv.") and a.suffix == ".tmp" and b.suffix == ".probe"


def test_replace_folder_into_a_missing_destination(tmp_path):
    new = tmp_path / ".partial"
    new.mkdir()
    (new / "a.mp4").write_bytes(b"a")
    replace_folder(new, tmp_path / "sample")
    assert _names(tmp_path) == ["sample"] and _names(tmp_path / "sample") == ["a.mp4"]


def test_replace_folder_replaces_an_old_version_and_removes_it(tmp_path):
    dest = tmp_path / "sample"
    dest.mkdir()
    (dest / "old.mp4").write_bytes(b"old")
    new = tmp_path / ".partial"
    new.mkdir()
    (new / "new.mp4").write_bytes(b"new")
    replace_folder(new, dest)
    assert _names(tmp_path) == ["sample"] and _names(dest) == ["new.mp4"]


def test_replace_folder_puts_the_old_version_back_when_the_move_fails(tmp_path):
    dest = tmp_path / "sample"
    dest.mkdir()
    (dest / "old.mp4").write_bytes(b"old")
    with pytest.raises(FileNotFoundError):
        replace_folder(tmp_path / ".partial-that-vanished", dest)
    assert _names(tmp_path) == ["sample"] and _names(dest) == ["old.mp4"]
