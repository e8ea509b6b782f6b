"""A long clip for the memory target: one clip played several times in a row.

``python -m benchmarks.longclip SRC DST TIMES`` copies the video packets of
``SRC`` ``TIMES`` times into ``DST`` (no re-encoding, so it takes well under a
second; audio is left out), shifting each copy's timestamps to follow the
previous one.  Each seam is a cut, as in an edited video: the face jumps and
the tracker loses it for a moment, which is when the analysis holds the most
frames.  Run by the benchmark's launcher in a child process (it imports PyAV).
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["loop_clip", "main"]


def loop_clip(src, dst, times: int) -> int:
    """Write ``src``'s video stream ``times`` times in a row to ``dst``; return the packets written.

    Parameters
    ----------
    src, dst : str or Path
        An existing video and the file to write (its suffix picks the container).
    times : int
        Copies, ``>= 1``.
    """
    import av

    if times < 1:
        raise ValueError(f"times must be >= 1, got {times}")
    written = 0
    with av.open(str(src)) as inp:
        stream = inp.streams.video[0]
        with av.open(str(dst), "w") as out:
            target = out.add_stream_from_template(stream)
            offset = 0
            for _ in range(times):
                inp.seek(0, stream=stream)
                end = offset
                for packet in inp.demux(stream):
                    if packet.dts is None:  # the demuxer's flush packet
                        continue
                    packet.dts += offset
                    if packet.pts is not None:
                        packet.pts += offset
                        end = max(end, packet.pts + (packet.duration or 0))
                    packet.stream = target
                    out.mux(packet)
                    written += 1
                offset = end
    return written


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 3:
        print("usage: python -m benchmarks.longclip SRC DST TIMES", file=sys.stderr)
        return 2
    src, dst, times = Path(args[0]), Path(args[1]), int(args[2])
    loop_clip(src, dst, times)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
