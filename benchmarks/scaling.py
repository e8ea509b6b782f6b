"""How a scan scales: ``--jobs 1/2`` against a Dask ``LocalCluster`` of 1/2 worker processes, same clips.

    python -m benchmarks.scaling [DIR] [--workers 1 2] [--pin]

Each configuration scans every video of ``DIR`` (default: the embedded
sample) without the cache, in this process's scan loop; the time counts from
the first submitted video to the last row, plus, separately, what it took to
start the workers (process pool: spawned on the first video, so inside the
scan time; ``LocalCluster``: started before).  Throughput is videos/s and
decoded frames/s (``frames_read`` summed over the rows).  A Dask cluster runs
in worker processes (``processes=True``, one thread each), as a real cluster
does; its nanny sets ``OMP_NUM_THREADS=1`` and friends in the workers.

With ``--pin`` each configuration of ``n`` workers runs on ``n`` cores only
(the CPU affinity of this process, inherited by the workers it starts): one
worker cannot borrow the second core for its decoder threads, so the table
shows how throughput grows with cores, the number a cluster plan needs.  The
``seconds`` of every row are kept, so the time per clip on one core can be
read per source (``per_clip``).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from dfexplore._cpu import usable_cores

__all__ = ["main", "measure"]


def _scan(folder, **kwargs):
    from dfexplore.scan import scan

    t0 = time.perf_counter()
    table = scan(folder, cache=False, progress=False, **kwargs)
    return table, time.perf_counter() - t0


def measure(folder, workers=(1, 2), pin: bool = False) -> list[dict]:
    """One row per configuration: ``setup``, ``workers``, ``cores``, ``start_s``, ``scan_s``, ``videos``,
    ``frames``, rates, and ``table`` (the scan's results)."""
    from distributed import Client, LocalCluster

    rows = []
    all_cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None

    def cores(n):
        if pin and all_cores is not None:
            os.sched_setaffinity(0, all_cores[:n])
        return n if pin else usable_cores()

    def row(setup, n, ncores, start_s, table, scan_s):
        frames = int(table["frames_read"].fillna(0).sum())
        errors = int(table["error"].notna().sum())
        rows.append({"setup": setup, "workers": n, "cores": ncores, "start_s": start_s, "scan_s": scan_s,
                     "videos": len(table), "errors": errors, "frames": frames, "videos_per_s": len(table) / scan_s,
                     "frames_per_s": frames / scan_s, "table": table})

    try:
        for n in workers:
            ncores = cores(n)
            table, scan_s = _scan(folder, jobs=n)
            row("--jobs", n, ncores, 0.0, table, scan_s)
        for n in workers:
            ncores = cores(n)
            t0 = time.perf_counter()
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                start_s = time.perf_counter() - t0
                table, scan_s = _scan(folder, dask=client)
            row("LocalCluster", n, ncores, start_s, table, scan_s)
    finally:
        if pin and all_cores is not None:
            os.sched_setaffinity(0, all_cores)
    return rows


def per_clip(rows: list[dict]) -> str:
    """Seconds per clip, per source, of the one-worker ``--jobs`` row (the analysis's own ``seconds``)."""
    from dfexplore.dataset import guess_source
    from dfexplore.video import VideoInfo

    one = next(r for r in rows if r["setup"] == "--jobs" and r["workers"] == min(x["workers"] for x in rows))
    t = one["table"]
    infos = [VideoInfo.from_path(p) for p in t["path"]]
    t = t.assign(source=[guess_source(f) for f in t["file"]], mpix=[i.width * i.height / 1e6 for i in infos])
    g = t.groupby("source").agg(clips=("file", "size"), seconds=("seconds", "mean"), frames=("frames_read", "mean"),
                                megapixels=("mpix", "mean"))
    lines = ["| source | clips | mean frame size (MP) | mean frames | mean seconds per clip |", "|---|---|---|---|---|"]
    for source, r in g.iterrows():
        lines.append(f"| {source} | {int(r['clips'])} | {r['megapixels']:.2f} | {r['frames']:.0f} | {r['seconds']:.2f} |")
    return "\n".join(lines)


def _markdown(rows: list[dict], folder: Path) -> str:
    base = {r["setup"]: r["scan_s"] for r in rows if r["workers"] == min(x["workers"] for x in rows)}
    lines = [
        f"Folder: `{folder}`; machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}.",
        "",
        "| setup | workers | cores | start (s) | scan (s) | videos/s | frames/s | speed-up vs 1 worker | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['setup']} | {r['workers']} | {r['cores']} | {r['start_s']:.1f} | {r['scan_s']:.1f} | "
                     f"{r['videos_per_s']:.3f} | {r['frames_per_s']:.1f} | {base[r['setup']] / r['scan_s']:.2f}x | "
                     f"{r['errors']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=None,
                        help="a DFDC-layout folder (default: the embedded sample)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pin", action="store_true", help="run n workers on n cores only (CPU affinity)")
    args = parser.parse_args(argv)
    if args.folder is None:
        from dfexplore.config import ensure_sample

        args.folder = ensure_sample()
    rows = measure(args.folder, tuple(args.workers), pin=args.pin)
    print(_markdown(rows, args.folder))
    print()
    print(per_clip(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
