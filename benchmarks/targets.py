"""The speed and memory targets of the per-video analysis, judged met or missed from one benchmark run.

Standard library only (it runs in the launcher).  Each target reads the
workers' results of the same run, so ratios compare numbers measured minutes
apart on the same machine.
"""

from __future__ import annotations

__all__ = ["TARGETS", "target_lines"]

#: (name, value) of each target; the lines below say how each is judged.
TARGETS = {
    "hd_vs_opencv_decode": 1.0,  # dfexplore seconds / OpenCV decode-only seconds, clips of 720 lines or more
    "small_vs_opencv_decode": 1.5,  # ... on smaller clips
    "seed_speedup": 50.0,  # seed seconds / dfexplore seconds, seed measured on whole clips ...
    "seed_speedup_clips": 3,  # ... on at least this many clips
    "peak_rss_mb": 250.0,  # dfexplore's peak RSS on every clip
}


def _ok(r) -> bool:
    return bool(r) and bool(r.get("ok"))


def _lines_of(info: dict | None) -> int | None:
    return min(info["width"], info["height"]) if info else None


def _verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def target_lines(clips: list[dict], results: dict[str, dict[str, dict]], hit_rate: bool = False) -> list[str]:
    """One line per target that this run measured: the target, the measured values, met or missed.

    Parameters
    ----------
    clips : list of dict
        ``{"name", ...}`` per clip.
    results : dict
        ``results[clip name][method]``: worker results (``seconds``, ``rss_mb``,
        ``frames_measured``, ``info``, ...).
    hit_rate : bool
        Judge the face hit rate too (needs ``perframe`` results).
    """
    lines = []
    hd, small, rss, speedups, hits = [], [], [], [], []
    for clip in clips:
        runs = results.get(clip["name"], {})
        d = runs.get("dfexplore")
        if not _ok(d):
            continue
        rss.append((clip["name"], float(d["rss_mb"])))
        floor = runs.get("floor")
        if _ok(floor) and float(floor["seconds"]) > 0:
            ratio = float(d["seconds"]) / float(floor["seconds"])
            lines_ = _lines_of(d.get("info") or floor.get("info"))
            (hd if lines_ is not None and lines_ >= 720 else small).append((clip["name"], ratio))
        seed = runs.get("seed")
        whole_seed = _ok(seed) and (seed.get("max_frames") is None or seed["frames_measured"] < seed["max_frames"])
        if whole_seed and float(d["seconds"]) > 0:
            speedups.append((clip["name"], float(seed["seconds"]) / float(d["seconds"])))
        p = runs.get("perframe")
        if hit_rate and _ok(p):
            hits.append((clip["name"], float(d["face_fraction"]), max(p["hit_rate_raw"], p["hit_rate_track"])))

    def ratios(pairs):
        return ", ".join(f"{n} {r:.2f}x" for n, r in pairs)

    for label, pairs, key in (
        ("720p and larger", hd, "hd_vs_opencv_decode"),
        ("smaller than 720p", small, "small_vs_opencv_decode"),
    ):
        if pairs:
            worst = max(r for _, r in pairs)
            n_met = sum(r <= TARGETS[key] for _, r in pairs)
            lines.append(
                f"Target: analysis <= {TARGETS[key]:.1f}x OpenCV's decode-only time on every {label} clip: "
                f"{_verdict(n_met == len(pairs))} ({n_met} of {len(pairs)} clips; worst {worst:.2f}x; {ratios(pairs)})."
            )
    if speedups:
        need, k = TARGETS["seed_speedup"], TARGETS["seed_speedup_clips"]
        n_met = sum(s >= need for _, s in speedups)
        lines.append(
            f"Target: >= {need:.0f}x faster than the seed's method measured on whole clips, on at least {k} clips: "
            f"{_verdict(n_met >= k)} ({n_met} of {len(speedups)} whole-clip seed runs; {ratios(speedups)})."
        )
    else:
        lines.append(
            "Target: >= 50x faster than the seed's method on whole clips: not measured in this run "
            "(run with --methods ...,seed --seed-frames 0 to measure the seed on whole clips)."
        )
    if rss:
        name, worst = max(rss, key=lambda x: x[1])
        lines.append(
            f"Target: dfexplore's peak RSS < {TARGETS['peak_rss_mb']:.0f} MB on every clip: "
            f"{_verdict(worst < TARGETS['peak_rss_mb'])} (at most {worst:.0f} MB, {name})."
        )
    if hits:
        low = [(n, f, p) for n, f, p in hits if f < p - 1e-12]
        detail = "; below on " + ", ".join(f"{n} {f:.3f} < {p:.3f}" for n, f, p in low) if low else ""
        lines.append(
            "Target: tracked face hit rate >= per-frame detection (the better of raw Haar and the per-frame "
            f"track) on every clip: {_verdict(not low)} ({len(hits) - len(low)} of {len(hits)} clips{detail})."
        )
    return lines
