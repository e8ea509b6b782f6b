"""Grouped cross-validation folds in which every training fold holds both classes."""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_LOGO_GROUPS", "N_SPLITS", "SEED", "cv_splits"]

#: Folds of the grouped cross-validation, at most.
N_SPLITS = 5
#: Leave-one-group-out replaces fewer than 3 folds only up to this many groups (its cost grows with them).
MAX_LOGO_GROUPS = 12
SEED = 0


def _groups_per_class(y: np.ndarray, groups: np.ndarray) -> tuple[int, int]:
    return tuple(len(set(groups[y == c])) for c in (0, 1))


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _valid(splits, y) -> bool:
    return all(len(test) and len(np.unique(y[train])) == 2 for train, test in splits)


def cv_splits(y, groups, max_splits: int = N_SPLITS) -> tuple[list, str]:
    """Grouped cross-validation folds in which every training fold holds both classes.

    Parameters
    ----------
    y : array_like, shape (n,)
        0 for REAL, 1 for FAKE.
    groups : array_like, shape (n,)
        From :func:`groups_of`.
    max_splits : int
        Folds of :class:`~sklearn.model_selection.StratifiedGroupKFold`, at most.

    Returns
    -------
    splits : list of (train_index, test_index)
        Empty when cross-validation is impossible (a class in fewer than 2
        groups).
    scheme : str
        The scheme in words.
    """
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold

    y = np.asarray(y)
    groups = np.asarray(groups)
    g_real, g_fake = _groups_per_class(y, groups)
    n_groups = len(set(groups))
    if min(g_real, g_fake) < 2:
        return [], (
            f"no cross-validation: REAL videos in {_n(g_real, 'group')}, FAKE videos in {_n(g_fake, 'group')} "
            "(each class needs 2 or more; a fake shares its original's group)"
        )
    k = min(max_splits, g_real, g_fake)
    if k >= 3 or n_groups > MAX_LOGO_GROUPS:
        sgkf = StratifiedGroupKFold(n_splits=max(k, 2), shuffle=True, random_state=SEED)
        splits = list(sgkf.split(np.zeros(len(y)), y, groups))
        if _valid(splits, y):
            return splits, f"StratifiedGroupKFold ({len(splits)} folds, {n_groups} groups)"
    # every training fold lacks one group only, so holds both classes (each is in 2 or more groups)
    return list(LeaveOneGroupOut().split(np.zeros(len(y)), y, groups)), f"leave-one-group-out ({n_groups} groups)"
