"""``python -m dfexplore``: the command line (see :mod:`dfexplore.cli`)."""

from .cli import main

raise SystemExit(main())
