"""The Haar face box's side over MTCNN's for the same face: `dfexplore.framemodel.model.BOX_SCALE`.

On every 60th of the first 240 frames of each clip of ``DATA/real_faces`` and
``DATA/dfdc_sample`` where both detectors find a face, the largest box of each
is compared: the ratio of their longer sides, and the offset of their centres
in MTCNN box sides.  Prints the median and the 10th-90th percentiles.

Usage::

    python tools/measure_box_scale.py --data ../shared/data
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _largest(boxes) -> np.ndarray:
    xyxy = np.asarray(boxes.xyxy)
    return xyxy[np.argmax(xyxy[:, 2] - xyxy[:, 0])]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args(argv)

    from dfexplore.faces import MTCNNDetector, resolve_detector
    from dfexplore.video import iter_frames

    haar, mtcnn = resolve_detector("haar"), MTCNNDetector()
    rows = []
    clips = sorted((args.data / "real_faces").glob("*.mp4")) + sorted((args.data / "dfdc_sample").glob("*.mp4"))
    for path in clips:
        for frame in iter_frames(path, stride=60, stop=240):
            a, b = haar.detect(frame), mtcnn.detect(frame)
            if len(a) == 0 or len(b) == 0:
                continue
            h, m = _largest(a), _largest(b)
            side_h, side_m = max(h[2] - h[0], h[3] - h[1]), max(m[2] - m[0], m[3] - m[1])
            rows.append((side_h / side_m, ((h[0] + h[2]) - (m[0] + m[2])) / 2 / side_m,
                         ((h[1] + h[3]) - (m[1] + m[3])) / 2 / side_m))
    r = np.asarray(rows)
    print(f"{len(r)} frames of {len(clips)} clips with a face from both detectors")
    print("Haar side / MTCNN side: median %.3f, 10th-90th percentile %.3f-%.3f" % tuple(np.percentile(r[:, 0], [50, 10, 90])))
    print("centre offset in MTCNN sides: x median %.3f, y median %.3f" % (np.median(r[:, 1]), np.median(r[:, 2])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
