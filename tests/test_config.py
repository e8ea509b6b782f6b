import pytest

from dfexplore import config
from dfexplore.dataset import Dataset
from dfexplore.errors import DatasetError


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DFEXPLORE_DATA", str(tmp_path))
    assert config.data_dir() == tmp_path


def test_data_dir_must_be_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DFEXPLORE_DATA", str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match=r"DFEXPLORE_DATA='.*nope' is not a folder"):
        config.data_dir()


def test_without_data_the_sample_is_generated_once_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("DFEXPLORE_DATA", raising=False)
    monkeypatch.setenv("DFEXPLORE_CACHE", str(tmp_path / "cache"))
    first = config.data_dir()
    assert first == tmp_path / "cache" / f"sample-v{config.SAMPLE_VERSION}"
    ds = Dataset.from_folder(first)
    counts = ds.label_counts()
    assert counts["FAKE"] > 0 and counts["REAL"] > 0 and len(ds) > 0
    stamp = (first / "metadata.json").stat().st_mtime_ns
    assert config.data_dir() == first  # reused, not regenerated
    assert (first / "metadata.json").stat().st_mtime_ns == stamp


def test_cache_dir_default_is_per_user(monkeypatch):
    monkeypatch.delenv("DFEXPLORE_CACHE", raising=False)
    assert "dfexplore" in str(config.cache_dir())


def test_model_path_from_the_environment(monkeypatch, tmp_path):
    from dfexplore.config import model_path

    monkeypatch.delenv("DFEXPLORE_MODEL", raising=False)
    assert model_path() is None
    monkeypatch.setenv("DFEXPLORE_MODEL", "")
    assert model_path() is None
    model = tmp_path / "model.dfmodel"
    model.write_bytes(b"x")
    monkeypatch.setenv("DFEXPLORE_MODEL", str(model))
    assert model_path() == model
    monkeypatch.setenv("DFEXPLORE_MODEL", str(tmp_path / "nope.dfmodel"))
    with pytest.raises(DatasetError, match="DFEXPLORE_MODEL=.*nope.dfmodel.*is not a file"):
        model_path()


def test_is_sample_only_for_the_embedded_sample_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DFEXPLORE_CACHE", str(tmp_path / "cache"))
    sample = config.sample_dir()
    sample.mkdir(parents=True)
    assert config.is_sample(sample)
    assert config.is_sample(tmp_path / "cache" / "." / sample.name)  # resolved, not compared as text
    assert not config.is_sample(tmp_path)
    assert not config.is_sample(tmp_path / "elsewhere" / sample.name)


def test_results_path_from_the_environment(monkeypatch, tmp_path):
    from dfexplore.config import results_path

    monkeypatch.delenv("DFEXPLORE_RESULTS", raising=False)
    assert results_path() is None
    monkeypatch.setenv("DFEXPLORE_RESULTS", "")
    assert results_path() is None
    table = tmp_path / "results.parquet"
    table.write_bytes(b"x")
    monkeypatch.setenv("DFEXPLORE_RESULTS", str(table))
    assert results_path() == table
    monkeypatch.setenv("DFEXPLORE_RESULTS", str(tmp_path / "nope.parquet"))
    with pytest.raises(DatasetError, match="DFEXPLORE_RESULTS=.*nope.parquet.*is not a file"):
        results_path()
