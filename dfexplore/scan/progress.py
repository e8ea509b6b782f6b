"""A scan's progress bar on stderr, with log lines printed above it rather than through it."""

from __future__ import annotations

import contextlib
import logging
import sys

__all__ = ["logging_above_bar", "progress_bar"]


class _AboveBar(logging.Handler):
    """Writes log lines with ``tqdm.write``, above the progress bar rather than through it."""

    def __init__(self, tqdm_class, stream, level=logging.NOTSET, formatter=None):
        super().__init__(level)
        self.tqdm_class, self.stream = tqdm_class, stream
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.tqdm_class.write(self.format(record), file=self.stream)
        except Exception:  # logging's own convention: report, never raise
            self.handleError(record)


@contextlib.contextmanager
def logging_above_bar(log: logging.Logger, tqdm_class):
    """Route the console handlers that the records of ``log`` reach through ``tqdm.write``.

    Handlers writing to ``sys.stdout`` / ``sys.stderr`` on the loggers from
    ``log`` up to the root are swapped for :class:`_AboveBar` ones
    (same level and format); when there is no handler at all (logging would
    use its last resort: warnings to stderr), one is added for the duration.
    """
    swapped: list[tuple[logging.Logger, list]] = []
    any_handler = False
    logger: logging.Logger | None = log
    while logger is not None:
        if logger.handlers:
            any_handler = True
            new = [
                _AboveBar(tqdm_class, h.stream, h.level, h.formatter)
                if type(h) is logging.StreamHandler and h.stream in (sys.stdout, sys.stderr) else h
                for h in logger.handlers
            ]
            swapped.append((logger, logger.handlers))
            logger.handlers = new
        logger = logger.parent if logger.propagate else None
    extra = None
    if not any_handler:
        extra = _AboveBar(tqdm_class, sys.stderr, logging.WARNING)
        log.addHandler(extra)
    try:
        yield
    finally:
        if extra is not None:
            log.removeHandler(extra)
        for logger, handlers in swapped:
            logger.handlers = handlers


@contextlib.contextmanager
def progress_bar(total: int, enabled: bool, desc: str, log: logging.Logger):
    """A tqdm bar on stderr counting videos, with the lines logged to ``log`` (and its parents) printed above it."""
    from tqdm.auto import tqdm

    with tqdm(total=total, unit="video", desc=desc, file=sys.stderr, disable=not enabled) as bar:
        if not enabled:
            yield bar
            return
        with logging_above_bar(log, tqdm):
            yield bar
