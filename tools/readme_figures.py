"""Write the README's figures from the embedded sample (never from ../shared: its clips are research-only).

    python tools/readme_figures.py        # -> docs/images/manipulation_map.jpg
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from dfexplore import compare, plots  # noqa: E402
from dfexplore.config import ensure_sample  # noqa: E402
from dfexplore.dataset import Dataset  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"


def main() -> None:
    ds = Dataset.from_folder(ensure_sample())
    fake = "synth_hopper_fake_01.mp4"
    mmap = compare.manipulation_map(ds.path(fake), ds.path(ds.original(fake).name), max_frames=150)
    fig = plots.manipulation_frames(mmap, count=4)
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "manipulation_map.jpg", dpi=72, bbox_inches="tight", pil_kwargs={"quality": 80})


if __name__ == "__main__":
    main()
