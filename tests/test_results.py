"""The results table's schema, rows, checks and files (dfexplore.results), without scanning a video."""

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from dfexplore import __version__
from dfexplore.analysis import Basis
from dfexplore.classify import Verdict, VerdictReport
from dfexplore.errors import DfexploreError
from dfexplore.features import FEATURE_NAMES, FEATURES_VERSION
from dfexplore.results import (
    COLUMNS,
    RESULTS_VERSION,
    VIDEO_COLUMNS,
    RowAnalysis,
    check_table,
    error_row,
    read_results,
    row_from_analysis,
    write_results,
)


def _analysis(basis=Basis.FACE):
    report = VerdictReport(verdict=Verdict.REAL, minimum=0.95, maximum=0.97, mean=0.96, half_range=0.01,
                           n_scores=9, spread=0.1, floor=0.92, reason="")
    features = dict.fromkeys(FEATURE_NAMES, 0.5)
    return SimpleNamespace(verdict=Verdict.REAL, basis=basis, frames_read=10, face_fraction=1.0, report=report,
                           features=features, seconds=0.25, probability=0.7,
                           probability_source="frame-test 0123456789ab", frame_probabilities=np.full(5, 0.7))


def _table():
    good = dict(row_from_analysis("/data/a.mp4", _analysis()), label="REAL", original=None, split="train",
                probability=0.2, probability_source="rule")
    bad = dict(error_row("/data/b.mp4", "/data/b.mp4: cannot be opened as a video"), label="FAKE",
               original="a.mp4", split="train", probability=math.nan, probability_source="rule")
    return pd.DataFrame([good, bad])


def test_the_schema_names_each_column_once_with_the_features_and_versions():
    assert len(set(COLUMNS)) == len(COLUMNS)
    assert COLUMNS[:2] == ("file", "path") and COLUMNS[-3:] == ("results_version", "features_version",
                                                                 "dfexplore_version")
    assert set(FEATURE_NAMES) <= set(COLUMNS)
    assert set(COLUMNS) - set(VIDEO_COLUMNS) == {"label", "original", "split", "probability", "probability_source"}


def test_rows_store_plain_strings_and_the_versions():
    row = row_from_analysis("/data/x.mp4", _analysis(Basis.WHOLE_FRAME))
    assert set(row) == set(VIDEO_COLUMNS)
    assert type(row["basis"]) is str and row["basis"] == "whole frame" and row["verdict"] == "REAL"
    assert (row["results_version"], row["features_version"], row["dfexplore_version"]) == (
        RESULTS_VERSION, FEATURES_VERSION, __version__)
    err = error_row("/data/y.mp4", "boom", seconds=1.5)
    assert set(err) == set(VIDEO_COLUMNS) and err["error"] == "boom" and err["basis"] is None
    assert math.isnan(err["rule_min"]) and err["file"] == "y.mp4"


def test_row_analysis_gives_a_model_the_enums():
    ra = RowAnalysis.from_row(_table().iloc[0])
    assert ra.verdict is Verdict.REAL and ra.basis is Basis.FACE and ra.frames_read == 10
    assert ra.features == dict.fromkeys(FEATURE_NAMES, 0.5)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_write_then_read_gives_the_same_typed_table(tmp_path, suffix):
    path = write_results(_table(), tmp_path / f"r{suffix}")
    back = read_results(path)
    assert tuple(back.columns) == COLUMNS
    assert back["frames_read"].dtype == "Int64" and back["results_version"].dtype == "int64"
    assert back["basis"].tolist() == ["face", None] and back["original"].tolist() == [None, "a.mp4"]
    assert np.isnan(back.loc[1, "rule_min"]) and back.loc[0, "rule_min"] == 0.95
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"r{suffix}"]  # written atomically, nothing left


def test_check_table_names_missing_columns_for_a_table_in_memory_and_for_a_file():
    df = _table()
    check_table(df)  # complete and current: no error
    with pytest.raises(DfexploreError, match=r"^the results table lacks the column\(s\) rule_min"):
        check_table(df.drop(columns=["rule_min"]))
    with pytest.raises(DfexploreError, match=r"^old.csv: not a dfexplore results table \(no column rule_min\)"):
        check_table(df.drop(columns=["rule_min"]), source="old.csv")
    check_table(df[["file", "label"]], ("file", "label"))  # only what the caller needs
    with pytest.raises(TypeError, match="pandas DataFrame"):
        check_table([{"file": "a.mp4"}], ("file",))


@pytest.mark.parametrize("column, what", [("results_version", "results"), ("features_version", "features")])
def test_check_table_refuses_other_versions(column, what):
    df = _table()
    df[column] = df[column] + 1
    with pytest.raises(DfexploreError, match=f"holds {what} of version"):
        check_table(df)
    with pytest.raises(DfexploreError, match=rf"^r.parquet: written by a newer dfexplore \({what} version"):
        check_table(df, source="r.parquet")
    check_table(df.drop(columns=[column]), [c for c in COLUMNS if c != column])  # absent: not checked
