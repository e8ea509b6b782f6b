"""The dataset at a glance: :class:`Gallery`, a paged grid of thumbnails over :class:`GalleryState`.

Each tile shows the main face of an early frame, the file name, the true label
and -- with a scan's results table -- the seed rule's verdict and P(FAKE).
Sort by name, label or P(FAKE), filter by label and by part of the name, page
through.  Thumbnails are made for the page on show, in a background thread
with a progress bar, and kept for the session.  Clicking a tile's name opens
the video in a :class:`~dfexplore.widgets.VideoExplorer` (or calls a function).
"""

from __future__ import annotations

import html
import math
from typing import Callable

import cv2
import ipywidgets as widgets
import numpy as np

from ..dataset import UNKNOWN
from .background import Background
from .gallery_state import SORT_KEYS, THUMB_SIDE, GalleryState
from .render import UNLABELLED
from .state import ALL, error_text

__all__ = ["Gallery"]

_LABEL_COLOURS = {"FAKE": "#b2182b", "REAL": "#1b7837"}
_MUTED = "#555"


def _blank_jpeg(side: int, level: int = 225) -> bytes:
    ok, buf = cv2.imencode(".jpg", np.full((side, side, 3), level, np.uint8))
    return buf.tobytes()


class Gallery(widgets.VBox):
    """A paged grid of the dataset's videos; click one to open it in the explorer.

    Parameters
    ----------
    dataset : Dataset, str or Path
        The dataset, or a DFDC-layout folder.
    results : DataFrame, str or Path, optional
        A scan's results table (``dfexplore scan DIR --out FILE``) or its file:
        each tile then shows the verdict and P(FAKE), and P(FAKE) can be
        sorted by.
    explorer : VideoExplorer, optional
        Clicking a tile selects its video there.
    on_open : callable (name) -> None, optional
        Called with the video's name when a tile is clicked (after the explorer).
    page_size : int
        Tiles per page.
    detector : FaceDetector, str or None
        Finds the thumbnails' faces (default: the Haar detector, built once).

    Attributes
    ----------
    state : GalleryState
        The logic (sorting, filtering, paging, thumbnails).
    sort, label_filter, search, prev_button, next_button, page_label
        The controls.
    progress, status
        The thumbnails' progress on this page.
    tiles : list of VBox
        One per place on the page: ``images[k]``, ``buttons[k]`` (the video's
        name; click to open), ``captions[k]``.
    opened : str or None
        The last video opened from the gallery.
    """

    def __init__(self, dataset, results=None, explorer=None, on_open: Callable[[str], None] | None = None,
                 page_size: int = 24, detector=None, thumb_side: int = THUMB_SIDE):
        self.state = GalleryState(dataset, results=results, page_size=page_size, detector=detector,
                                  thumb_side=thumb_side)
        self.explorer = explorer
        self.on_open = on_open
        self.opened: str | None = None
        self._background = Background("dfexplore-gallery")
        self._blank = _blank_jpeg(thumb_side)
        self._missing = _blank_jpeg(thumb_side, 120)
        self._names: list[str] = []
        self._page = 0
        self._shown: list[str | None] = [None] * page_size

        s = self.state
        sorts = list(SORT_KEYS) if s.has_results else [k for k in SORT_KEYS if k != "P(FAKE)"]
        self.sort = widgets.Dropdown(options=sorts, value="P(FAKE)" if s.has_results else "name",
                                     description="sort by", layout=widgets.Layout(width="220px"))
        labels = [ALL, "FAKE", "REAL"] + ([UNKNOWN] if any(s.tile(n).label is None for n in s.names) else [])
        self.label_filter = widgets.ToggleButtons(
            options=[("all" if c == ALL else (UNLABELLED if c == UNKNOWN else c), c) for c in labels], value=ALL,
            description="true label", style={"button_width": "80px", "description_width": "initial"})
        self.search = widgets.Text(value="", placeholder="part of a file name", description="search")
        self.prev_button = widgets.Button(description="previous", icon="chevron-left",
                                          layout=widgets.Layout(width="110px"))
        self.next_button = widgets.Button(description="next", icon="chevron-right",
                                          layout=widgets.Layout(width="110px"))
        self.page_label = widgets.HTML()
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="thumbnails",
                                            layout=widgets.Layout(visibility="hidden"))
        self.status = widgets.HTML()
        self.images, self.buttons, self.captions, self.tiles = [], [], [], []
        width = f"{thumb_side + 16}px"
        for k in range(page_size):
            img = widgets.Image(value=self._blank, format="jpeg",
                                layout=widgets.Layout(width=f"{thumb_side}px", height=f"{thumb_side}px"))
            button = widgets.Button(description="", layout=widgets.Layout(width=width))
            button.on_click(self._clicked(k))
            caption = widgets.HTML(layout=widgets.Layout(width=width))
            tile = widgets.VBox([img, button, caption], layout=widgets.Layout(
                width=width, align_items="center", border="1px solid #ddd", padding="4px", margin="2px"))
            img.add_class("dfx-thumb")
            button.add_class("dfx-tile-open")
            caption.add_class("dfx-tile-caption")
            tile.add_class("dfx-tile")
            self.images.append(img)
            self.buttons.append(button)
            self.captions.append(caption)
            self.tiles.append(tile)
        self.grid = widgets.GridBox(self.tiles, layout=widgets.Layout(
            grid_template_columns=f"repeat(auto-fill, {thumb_side + 28}px)", width="100%"))
        for w, cls in [(self.sort, "dfx-gallery-sort"), (self.label_filter, "dfx-gallery-label"),
                       (self.search, "dfx-gallery-search"), (self.prev_button, "dfx-gallery-prev"),
                       (self.next_button, "dfx-gallery-next"), (self.page_label, "dfx-gallery-page"),
                       (self.progress, "dfx-gallery-progress"), (self.grid, "dfx-gallery-grid")]:
            w.add_class(cls)

        self.sort.observe(self._on_filter, names="value")
        self.label_filter.observe(self._on_filter, names="value")
        self.search.observe(self._on_filter, names="value")
        self.prev_button.on_click(lambda _: self.show_page(self._page - 1))
        self.next_button.on_click(lambda _: self.show_page(self._page + 1))
        middle = widgets.Layout(align_items="center")
        super().__init__(children=[
            widgets.HBox([self.sort, self.label_filter, self.search], layout=middle),
            widgets.HBox([self.prev_button, self.page_label, self.next_button, self.progress, self.status],
                         layout=middle),
            self.grid,
        ])
        self.add_class("dfx-gallery")
        self._on_filter(None)

    # ------------------------------------------------------------------ public
    @property
    def names(self) -> list[str]:
        """The videos that pass the filters, in the gallery's order."""
        return list(self._names)

    @property
    def page(self) -> int:
        """The page on show (0-based)."""
        return self._page

    @property
    def shown(self) -> list[str]:
        """The videos on the page on show, in order."""
        return [n for n in self._shown if n is not None]

    def show_page(self, k: int) -> None:
        """Show page ``k`` (clipped to the first and last) and make its thumbnails in the background."""
        n_pages = self.state.n_pages(len(self._names))
        self._page = min(max(0, int(k)), n_pages - 1)
        names = self.state.page(self._names, self._page)
        self.page_label.value = (f'<span style="color:{_MUTED}">page {self._page + 1} of {n_pages} '
                                 f"({len(self._names)} of {len(self.state.names)} videos)</span>")
        self.prev_button.disabled = self._page == 0
        self.next_button.disabled = self._page >= n_pages - 1
        todo = []
        for k, tile in enumerate(self.tiles):
            name = names[k] if k < len(names) else None
            self._shown[k] = name
            tile.layout.display = "none" if name is None else ""
            if name is None:
                continue
            self._fill(k, name)
            thumb = self.state.cached_thumbnail(name)
            self.images[k].value = thumb or (self._blank if self.state.tile(name).exists else self._missing)
            if thumb is None and self.state.tile(name).exists:
                todo.append((k, name))
        self._make_thumbnails(todo)

    def open_video(self, name: str) -> None:
        """Open video ``name``: select it in the explorer, then call ``on_open``."""
        self.opened = name
        if self.explorer is not None:
            self.explorer.select(name)
        if self.on_open is not None:
            self.on_open(name)

    def wait(self, timeout: float | None = 120) -> None:
        """Block until the page's thumbnails are made."""
        fut = self._background.future
        if fut is not None:
            fut.result(timeout=timeout)

    def close(self):
        self._background.close()
        super().close()

    # ------------------------------------------------------------------ helpers
    def _on_filter(self, change) -> None:
        try:
            self._names = self.state.ordered(self.sort.value, self.label_filter.value, self.search.value)
            self.status.value = ""
        except Exception as exc:  # noqa: BLE001 - never a traceback in the page
            self._names = []
            self.status.value = f'<span class="dfx-error-text">{html.escape(error_text(exc))}</span>'
        self.show_page(0)

    def _clicked(self, k: int):
        def handler(_button) -> None:
            name = self._shown[k]
            if name is not None:
                self.open_video(name)
        return handler

    def _fill(self, k: int, name: str) -> None:
        t = self.state.tile(name)
        self.buttons[k].description = name
        self.buttons[k].tooltip = f"open {name} in the explorer"
        label = UNLABELLED if t.label is None else t.label
        parts = [f'<span class="dfx-tile-label" style="color:{_LABEL_COLOURS.get(t.label, _MUTED)};'
                 f'font-weight:bold">{html.escape(label)}</span>']
        if not t.exists:
            parts.append(f'<span style="color:{_MUTED}"> · file missing</span>')
        if self.state.has_results:
            if t.error:
                parts.append(f'<br><span class="dfx-tile-error" style="color:#b2182b">not analysed</span>')
            elif t.verdict is not None:
                p = "" if math.isnan(t.probability) else f' · <span class="dfx-tile-proba">P(FAKE) {t.probability:.2f}</span>'
                parts.append(f'<br><span class="dfx-tile-verdict">rule: {html.escape(t.verdict)}</span>{p}')
            else:
                parts.append(f'<br><span style="color:{_MUTED}">not in the results</span>')
        self.captions[k].value = '<div style="font-size:0.85em;line-height:1.25;text-align:center">' + "".join(parts) + "</div>"

    def _make_thumbnails(self, todo: list[tuple[int, str]]) -> None:
        self._background.cancel()
        if not todo:
            self.progress.layout.visibility = "hidden"
            return
        self.progress.max = len(todo)
        self.progress.value = 0
        self.progress.layout.visibility = "visible"

        def job(progress):
            made = []
            for i, (k, name) in enumerate(todo):
                progress(i / len(todo), name)
                try:
                    data = self.state.thumbnail(name)
                except Exception as exc:  # noqa: BLE001 - a tile says it, the others go on
                    made.append((k, name, None, error_text(exc)))
                else:
                    made.append((k, name, data, None))
                self._set_thumb(*made[-1])
                self.progress.value = i + 1
            return made

        def done(_):
            self.progress.layout.visibility = "hidden"

        self._background.run(job, on_progress=lambda f, m: None, on_done=done, on_error=lambda exc: None)

    def _set_thumb(self, k: int, name: str, data: bytes | None, error: str | None) -> None:
        if self._shown[k] != name:
            return  # the page changed meanwhile
        if data is not None:
            self.images[k].value = data
        else:
            self.images[k].value = self._missing
            self.captions[k].value += (f'<div class="dfx-tile-error" style="font-size:0.8em;color:#b2182b" '
                                       f'title="{html.escape(error or "")}">cannot be read</div>')
