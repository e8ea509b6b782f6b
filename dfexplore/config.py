"""Where the data is: one setting, the ``DFEXPLORE_DATA`` environment variable.

``DFEXPLORE_DATA`` names a DFDC-layout folder (videos + ``metadata.json``).
When it is unset, dfexplore uses its embedded sample dataset: synthetic clips
generated on first use (see :mod:`dfexplore.sample`) into a per-user cache
folder (``DFEXPLORE_CACHE``, default the platform's user cache directory).

Optionally, ``DFEXPLORE_MODEL`` names a model file (``.dfmodel``) written by
``dfexplore train``, which loads without running code; the explorer (notebook 06, ``make app``) then shows its
P(FAKE) beside the rule's verdict; ``DFEXPLORE_RESULTS`` names a results file written by ``dfexplore scan``,
whose verdicts and P(FAKE) the gallery shows on its thumbnails.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DatasetError

__all__ = ["DATA_ENV", "CACHE_ENV", "MODEL_ENV", "cache_dir", "sample_dir", "ensure_sample", "data_dir", "is_sample", "model_path",
           "RESULTS_ENV", "results_path"]

DATA_ENV = "DFEXPLORE_DATA"
CACHE_ENV = "DFEXPLORE_CACHE"
MODEL_ENV = "DFEXPLORE_MODEL"
RESULTS_ENV = "DFEXPLORE_RESULTS"
#: Bumped whenever the generated sample changes, so old caches are not reused.
SAMPLE_VERSION = 2


def cache_dir() -> Path:
    """The per-user cache folder: ``$DFEXPLORE_CACHE`` or the platform's user cache dir."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("dfexplore", appauthor=False))


def sample_dir() -> Path:
    """Folder of the embedded sample dataset (it may not be generated yet)."""
    return cache_dir() / f"sample-v{SAMPLE_VERSION}"


def ensure_sample(dest=None) -> Path:
    """Return the embedded sample dataset's folder, generating it first if needed."""
    dest = Path(dest) if dest is not None else sample_dir()
    if (dest / "metadata.json").is_file():
        return dest
    from .sample import make_sample_dataset

    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        return Path(make_sample_dataset(dest))
    except Exception:
        # Another process may have generated it at the same moment.
        if (dest / "metadata.json").is_file():
            return dest
        raise


def data_dir() -> Path:
    """The dataset folder to use: ``$DFEXPLORE_DATA``, else the embedded sample.

    Raises
    ------
    DatasetError
        When ``DFEXPLORE_DATA`` is set but is not a folder.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise DatasetError(f"{DATA_ENV}={env!r} is not a folder; set it to a DFDC-layout folder or unset it")
        return path
    return ensure_sample()


def is_sample(path) -> bool:
    """Whether ``path`` is the embedded sample dataset's folder (:func:`sample_dir`).

    Notebooks state some findings only on the embedded sample, whose
    generator makes them true by construction (its fakes flicker, for
    example); on any other folder they compute and print what holds.

    Parameters
    ----------
    path : str or Path
        A dataset folder, for example :func:`data_dir`.

    Returns
    -------
    bool
        True when ``path`` resolves to the same folder as :func:`sample_dir`
        (a copy elsewhere, or a sample written with other parameters, is not
        the embedded sample).
    """
    try:
        return Path(path).expanduser().resolve() == sample_dir().expanduser().resolve()
    except (OSError, RuntimeError):
        return False


def _env_file(env: str, what: str) -> Path | None:
    """The file named by environment variable ``env``, None when unset or empty; DatasetError when it is not a file."""
    value = os.environ.get(env)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise DatasetError(f"{env}={value!r} is not a file; set it to {what} or unset it")
    return path


def model_path() -> Path | None:
    """The model file (``.dfmodel``) named by ``DFEXPLORE_MODEL``, or None when it is unset (or empty).

    Raises
    ------
    DatasetError
        When ``DFEXPLORE_MODEL`` is set but is not a file.
    """
    return _env_file(MODEL_ENV, "a model written by `dfexplore train`")


def results_path() -> Path | None:
    """The results file (``.parquet`` or ``.csv``) named by ``DFEXPLORE_RESULTS``, or None when it is unset (or empty).

    Raises
    ------
    DatasetError
        When ``DFEXPLORE_RESULTS`` is set but is not a file.
    """
    return _env_file(RESULTS_ENV, "a results file written by `dfexplore scan DIR --out FILE`")
