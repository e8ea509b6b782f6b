"""Model files: what a loaded model predicts, and that reading a file can never run code from it."""

import dataclasses
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import joblib
import numpy as np
import pytest

from dfexplore.errors import DfexploreError
from dfexplore.features import FEATURE_NAMES, FEATURES_VERSION
from dfexplore.learn import (
    BOOSTING_MIN_PER_CLASS,
    MODEL_FORMAT,
    MODEL_VERSION,
    Model,
    feature_matrix,
    labelled_rows,
    load_model,
    save_model,
    train,
)
from dfexplore.learn.portable import ConstantPredictor, export
from dfexplore.learn.table import labels01
from dfexplore.learn.training import _fit_one, predict
from test_learn import results_table


class Trap:
    """Unpickling this makes the folder ``marker``: proof that a file's code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.fixture(scope="module")
def models():
    """One trained model of each candidate."""
    logistic = train(results_table(n_orig=12, noface=3))
    df = results_table(n_orig=6, seed=3)
    rows, _ = labelled_rows(df)
    prior = dataclasses.replace(logistic, pipeline=_fit_one("prior", feature_matrix(rows), labels01(rows), None), method="prior")
    boosting = train(results_table(n_orig=BOOSTING_MIN_PER_CLASS, fakes_per=2, signal=2.0, seed=5))
    assert (logistic.method, boosting.method) == ("logistic", "boosting")
    return {"prior": prior, "logistic": logistic, "boosting": boosting}


@pytest.fixture(scope="module")
def saved(models, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return {name: save_model(m, folder / f"{name}.dfmodel") for name, m in models.items()}


def random_rows(n=400, seed=0):
    """Features on the scale of the synthetic tables, 20% NaN, and some rows all NaN (no face)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 3, size=(n, len(FEATURE_NAMES)))
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:15] = np.nan
    return X


@pytest.mark.parametrize("method", ["prior", "logistic", "boosting"])
def test_a_loaded_model_predicts_as_the_trained_one(models, saved, method, tmp_path):
    model, path = models[method], saved[method]
    assert path.stat().st_size < 1_000_000
    loaded = load_model(path)
    assert isinstance(loaded, Model) and loaded.method == method
    assert not type(loaded.pipeline).__module__.startswith("sklearn")  # numbers, not a scikit-learn object
    X = random_rows()
    np.testing.assert_allclose(predict(loaded.pipeline, X), predict(model.pipeline, X), rtol=0, atol=1e-12)
    df = results_table(n_orig=10, seed=21, noface=2)
    np.testing.assert_allclose(loaded.predict_frame(df), model.predict_frame(df), rtol=0, atol=1e-12)
    one = dict(zip(FEATURE_NAMES, X[20]))
    assert loaded.predict_proba(one) == pytest.approx(model.predict_proba(one), abs=1e-12)
    assert loaded.info() == model.info() and loaded.train_groups == model.train_groups
    # a loaded model saves again to the same bytes, atomically (no temporary file left)
    again = save_model(loaded, tmp_path / "again.dfmodel")
    assert again.read_bytes() == path.read_bytes()
    save_model(loaded, again)
    assert [p.name for p in tmp_path.iterdir()] == ["again.dfmodel"]


def test_the_file_is_json_and_plain_arrays(saved):
    with zipfile.ZipFile(saved["logistic"]) as zf:
        names = zf.namelist()
        meta = json.loads(zf.read("model.json"))
    assert names[0] == "model.json" and all(n.startswith("arrays/") and n.endswith(".npy") for n in names[1:])
    assert meta["format"] == MODEL_FORMAT and meta["model_version"] == MODEL_VERSION
    assert meta["features_version"] == FEATURES_VERSION and meta["feature_names"] == list(FEATURE_NAMES)
    assert meta["predictor"] == {"kind": "logistic", "arrays": sorted(n[len("arrays/"):-4] for n in names[1:])}


def test_loading_never_unpickles(saved, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle was called")

    for name in ("load", "loads", "Unpickler", "_Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    buf = io.BytesIO()
    np.save(buf, np.array([1], dtype=object), allow_pickle=True)
    with pytest.raises(AssertionError, match="pickle was called"):  # the trap works on what would unpickle
        np.load(io.BytesIO(buf.getvalue()), allow_pickle=True)
    X = random_rows(50)
    for path in saved.values():
        p = predict(load_model(path).pipeline, X)
        assert np.isfinite(p).all()


def test_loading_imports_neither_sklearn_nor_joblib(saved):
    code = (
        "import sys, numpy as np; from dfexplore.learn import load_model\n"
        f"for p in {[str(p) for p in saved.values()]!r}:\n"
        "    load_model(p).pipeline.predict_proba(np.full((3, %d), np.nan))\n"
        "    load_model(p).predict_proba({})  # through Model, as the explorer and scan call it\n"
        "print(sorted(m for m in ('sklearn', 'joblib') if m in sys.modules))" % len(FEATURE_NAMES)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]"]


# --------------------------------------------------------------------------- files that are not models


def rewrite(src, dst, meta=None, arrays=None, drop=(), raw=None):
    """A copy of the model file ``src`` with ``model.json`` keys changed, arrays replaced or dropped,
    or members replaced by raw bytes."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name in drop:
                continue
            if name == "model.json" and meta:
                data = json.dumps({**json.loads(data), **meta}).encode()
            key = name[len("arrays/"):-4]
            if arrays and name.startswith("arrays/") and key in arrays:
                buf = io.BytesIO()
                np.save(buf, arrays[key], allow_pickle=True)
                data = buf.getvalue()
            if raw and name in raw:
                data = raw[name]
            zout.writestr(name, data)
    return dst


def _array(path, name):
    with zipfile.ZipFile(path) as zf:
        return np.load(io.BytesIO(zf.read(f"arrays/{name}.npy")), allow_pickle=False)


def test_load_refuses_other_files_without_running_them(saved, tmp_path):
    marker = tmp_path / "code-ran"
    trap = Trap(marker)
    logistic, boosting = saved["logistic"], saved["boosting"]
    joblib.dump({"format": MODEL_FORMAT, "model_version": 1, "pipeline": trap}, tmp_path / "old.joblib", compress=3)
    joblib.dump({"format": MODEL_FORMAT, "pipeline": trap}, tmp_path / "old-plain.joblib")
    (tmp_path / "list.pkl").write_bytes(pickle.dumps([trap]))
    (tmp_path / "random.dfmodel").write_bytes(np.random.default_rng(0).bytes(3000))
    (tmp_path / "notes.txt").write_text("this is not a model\n")
    (tmp_path / "empty.dfmodel").write_bytes(b"")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("readme.txt", "hello")
    with zipfile.ZipFile(tmp_path / "nomarker.zip", "w") as zf:
        zf.writestr("model.json", json.dumps({"format": "something-else", "model_version": MODEL_VERSION}))
    # a tree whose child points back at its parent would loop forever
    left = _array(boosting, "node_left").copy()
    left[np.flatnonzero(~_array(boosting, "node_is_leaf"))[1]] = 0
    cases = [
        (tmp_path / "absent.dfmodel", "no such model file"),
        (tmp_path / "old.joblib", "looks like a pickle or joblib file.*not opened, because unpickling can run code"),
        (tmp_path / "old-plain.joblib", "looks like a pickle or joblib file"),
        (tmp_path / "list.pkl", "looks like a pickle or joblib file"),
        (tmp_path / "random.dfmodel", "not a dfexplore model file \\(not a zip archive\\)"),
        (tmp_path / "notes.txt", "not a dfexplore model file \\(not a zip archive\\)"),
        (tmp_path / "empty.dfmodel", "not a dfexplore model file \\(an empty file\\)"),
        (tmp_path / "other.zip", "not a dfexplore model file \\(a zip archive without model.json\\)"),
        (tmp_path / "nomarker.zip", 'not a dfexplore model file \\(its model.json has no "format": "dfexplore-model"'),
        (rewrite(logistic, tmp_path / "v.dfmodel", meta={"model_version": MODEL_VERSION + 1}),
         f"a dfexplore model of version {MODEL_VERSION + 1}, this dfexplore reads version {MODEL_VERSION}"),
        (rewrite(logistic, tmp_path / "v1.dfmodel", meta={"model_version": 1}), "a dfexplore model of version 1"),
        (rewrite(logistic, tmp_path / "f.dfmodel", meta={"features_version": FEATURES_VERSION - 1}),
         f"trained on features of version {FEATURES_VERSION - 1}"),
        (rewrite(logistic, tmp_path / "names.dfmodel", meta={"feature_names": ["a", "b"]}), "trained on features of version"),
        # code where numbers belong: an object array (it would unpickle `trap`) is refused unread
        (rewrite(logistic, tmp_path / "object.dfmodel", arrays={"coef": np.array([trap], dtype=object)}),
         "damaged dfexplore model file \\(arrays/coef.npy: an array of object, not numbers"),
        # a class name where a predictor kind belongs is not imported, only refused
        (rewrite(logistic, tmp_path / "svc.dfmodel", meta={"predictor": {"kind": "sklearn.svm.SVC", "arrays": []}}),
         "damaged dfexplore model file \\(unknown predictor kind 'sklearn.svm.SVC'"),
        (rewrite(logistic, tmp_path / "nocoef.dfmodel", drop=["arrays/coef.npy"]), "damaged dfexplore model file"),
        (rewrite(logistic, tmp_path / "shape.dfmodel", arrays={"coef": np.zeros(3)}), "the array 'coef' has dtype float64 and 1 dim"),
        (rewrite(logistic, tmp_path / "nan.dfmodel", arrays={"intercept": np.array([np.nan])}), "intercept holds NaN"),
        (rewrite(logistic, tmp_path / "header.dfmodel", raw={"arrays/coef.npy": _npy_header_only()}),
         "the array's header does not match its size"),
        (rewrite(logistic, tmp_path / "json.dfmodel", raw={"model.json": b"{not json"}), "damaged dfexplore model file \\(model.json"),
        (rewrite(logistic, tmp_path / "deep.dfmodel", raw={"model.json": b"[" * 200_000}),
         "damaged dfexplore model file \\(model.json: nested too deeply"),
        (rewrite(logistic, tmp_path / "kind.dfmodel", meta={"method": "boosting"}), "method 'boosting' with a 'logistic' predictor"),
        (rewrite(boosting, tmp_path / "loop.dfmodel", arrays={"node_left": left}), "a child outside its tree or above its parent"),
    ]
    for path, words in cases:
        with pytest.raises(DfexploreError, match=words) as info:
            load_model(path)
        assert str(info.value).startswith(f"{path}: "), str(info.value)
    assert not marker.exists()  # nothing in any of those files ran
    assert load_model(logistic).method == "logistic"  # and the originals were left as they were


def _npy_header_only():
    """A .npy header promising 10**12 float64 values, with none after it (must not allocate 8 TB)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (1, 10**12)})
    return buf.getvalue()


def test_save_refuses_a_missing_folder_and_what_it_cannot_store(models, tmp_path):
    from sklearn.svm import SVC

    model = models["logistic"]
    with pytest.raises(DfexploreError, match="does not exist"):
        save_model(model, tmp_path / "nope" / "m.dfmodel")
    with pytest.raises(TypeError, match="Model"):
        save_model(object(), tmp_path / "m.dfmodel")
    X = random_rows(40, seed=2)
    svc = SVC().fit(np.nan_to_num(X), np.arange(40) % 2)
    with pytest.raises(ValueError, match="cannot export this estimator"):
        save_model(dataclasses.replace(model, pipeline=svc), tmp_path / "m.dfmodel")
    with pytest.raises(ValueError, match="a prior predictor for method 'logistic'"):
        export(ConstantPredictor(len(FEATURE_NAMES), np.array([0.5, 0.5])), "logistic", len(FEATURE_NAMES))
    assert list(tmp_path.iterdir()) == []
