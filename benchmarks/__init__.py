"""Benchmark harness: dfexplore's pipeline vs the seed notebook's method vs bare decoding.

Run ``python -m benchmarks [DIR] [--methods floor,pyav,dfexplore,seed] [--seed-frames N]
[--limit N] [--clips A,B] [--long N] [--baseline REV_OR_DIR] [--repeat N] [--markdown]
[--hit-rate] [--gpu-ssim]``; see :mod:`benchmarks.cli`.

Modules: :mod:`~benchmarks.cli` (the launcher and its options),
:mod:`~benchmarks.runner` (one child process per run),
:mod:`~benchmarks.worker` (what a child does: set up, time, measure memory),
:mod:`~benchmarks.methods` (the measured methods),
:mod:`~benchmarks.seed_method` (the seed notebook's method, reimplemented),
:mod:`~benchmarks.report` (the table), :mod:`~benchmarks.targets` (met or missed),
:mod:`~benchmarks.longclip` (``--long``), :mod:`~benchmarks.ab` (``--baseline``,
``--repeat``), :mod:`~benchmarks.scaling` (the scan's scaling table).
Importing this package imports nothing heavy: the launcher must stay small (see :mod:`benchmarks.worker`).
"""
