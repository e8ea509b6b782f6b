"""The explorer's view: :class:`VideoExplorer`, a thin ipywidgets app over :class:`ExplorerState`.

It wires widgets to the logic of :mod:`dfexplore.widgets.state` (filter,
analyse, cache), shows what :mod:`dfexplore.widgets.render` draws, and runs the
analyses in a :class:`~dfexplore.widgets.background.Background` thread so the
picker stays responsive.  This is the only module of the explorer that imports
ipywidgets.
"""

from __future__ import annotations

import functools
import html
import traceback

import ipywidgets as widgets
import numpy as np

from ..classify import Classifier
from ..dataset import UNKNOWN
from ..errors import DfexploreError
from ..faces import FaceDetector
from ..preview import encode_clip
from . import render
from .background import Background
from .state import ALL, DEFAULT_MAX_FRAMES, ExplorerResult, ExplorerState, ManipulationResult, OverlayResult, error_text

__all__ = ["VideoExplorer"]


class VideoExplorer(widgets.VBox):
    """Pick a video, see why it gets its verdict: an ipywidgets app.

    Parameters
    ----------
    dataset : Dataset, str or Path
        The dataset, or a DFDC-layout folder.
    detector : FaceDetector, str or None
        Built once and reused for every video (default: the Haar detector).
    classifier : Classifier, optional
        An object with ``predict_proba(analysis) -> float`` (P(FAKE)); when
        given, the probability is shown beside the verdict.
    max_frames : int or None
        Analyse at most this many frames at the start of each video.
    **analysis_kwargs
        Passed on to :func:`dfexplore.analysis.analyze_video`.

    Attributes
    ----------
    state : ExplorerState
        The logic (filtering, analysis, cache, rendering).
    label_filter, search, picker
        The picker: label buttons, a text filter and the list of videos.
    progress, status
        Progress bar and status line while a video is analysed.
    result_html
        The verdict, true label, probability and reason (or the error message).
    frame_image, faces_image, plot_image
        The first frame with face boxes, the face crops and the SSIM plot (PNG).
    overlay_button, overlay_html
        Overlay the original's SSIM series (fakes whose original is in the folder).

    Notes
    -----
    Analyses run in one background thread, so the picker stays responsive; a
    newer selection abandons an older analysis.  Use :meth:`select` and
    :meth:`wait` to drive it from code.
    """

    def __init__(self, dataset, detector: FaceDetector | str | None = None,
                 classifier: Classifier | None = None, max_frames: int | None = DEFAULT_MAX_FRAMES,
                 **analysis_kwargs):
        self.state = ExplorerState(dataset, detector=detector, classifier=classifier,
                                   max_frames=max_frames, **analysis_kwargs)
        self._background = Background("dfexplore-explorer")
        self._updating_options = False
        self.current: ExplorerResult | None = None

        s = self.state
        self.label_filter = widgets.ToggleButtons(
            options=[("all" if c == ALL else (render.UNLABELLED if c == UNKNOWN else c), c) for c in s.label_choices()],
            value=ALL, description="true label", style={"button_width": "80px", "description_width": "initial"},
        )
        self.search = widgets.Text(value="", placeholder="part of a file name", description="search",
                                   continuous_update=True)
        self.picker = widgets.Dropdown(options=s.options(), value=None, description="video",
                                       layout=widgets.Layout(width="520px"))
        self.count = widgets.HTML()
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="analysing",
                                              layout=widgets.Layout(visibility="hidden"))
        self.status = widgets.HTML(value="")
        self.result_html = widgets.HTML(value=render.hint_html())
        self.frame_image = widgets.Image(format="png", layout=widgets.Layout(display="none", max_width="480px"))
        self.faces_image = widgets.Image(format="png", layout=widgets.Layout(display="none", max_width="100%"))
        self.plot_image = widgets.Image(format="png", layout=widgets.Layout(display="none", max_width="680px"))
        self.frame_caption = widgets.HTML()
        # The analysed frames with the face track, playing in the page (H.264 or VP9: see dfexplore.preview).
        # Hidden, it holds a tiny valid clip: an empty one makes the browser log a failed range request.
        self._no_clip = encode_clip(np.zeros((2, 16, 16, 3), np.uint8), 25.0)
        self.video = widgets.Video(value=self._no_clip.data, format=self._no_clip.format, autoplay=False, loop=True,
                                   controls=True, layout=widgets.Layout(display="none", max_width="480px"))
        self.video_caption = widgets.HTML()
        self.manip_button = widgets.ToggleButton(value=False, description="Manipulation map", icon="fire",
                                                 disabled=True, layout=widgets.Layout(width="180px"),
                                                 tooltip="play the fake with its difference from its original over it")
        self.faces_caption = widgets.HTML()
        self.overlay_button = widgets.ToggleButton(value=False, description="Overlay original",
                                                   icon="clone", disabled=True,
                                                   tooltip="plot the SSIM of the fake's original beside it")
        self.overlay_html = widgets.HTML()
        for w, cls in [
            (self.label_filter, "dfx-label-filter"), (self.search, "dfx-search"), (self.picker, "dfx-picker"),
            (self.count, "dfx-count"), (self.progress, "dfx-progress"), (self.status, "dfx-status"),
            (self.result_html, "dfx-result-box"), (self.frame_image, "dfx-frame"),
            (self.faces_image, "dfx-faces"), (self.plot_image, "dfx-plot"),
            (self.video, "dfx-video"), (self.video_caption, "dfx-video-caption"),
            (self.manip_button, "dfx-manip"),
            (self.overlay_button, "dfx-overlay"), (self.overlay_html, "dfx-overlay-note"),
        ]:
            w.add_class(cls)

        self.label_filter.observe(self._on_filter, names="value")
        self.search.observe(self._on_filter, names="value")
        self.picker.observe(self._on_pick, names="value")
        self.overlay_button.observe(self._on_overlay, names="value")
        self.manip_button.observe(self._on_manipulation, names="value")
        self._update_count()

        settings = widgets.HTML(render.settings_html(s.settings_text()))
        settings.add_class("dfx-settings-box")
        top = widgets.Layout(align_items="flex-start")
        middle = widgets.Layout(align_items="center")
        frame_box = widgets.VBox([self.frame_image, self.frame_caption, self.video, self.manip_button,
                                  self.video_caption], layout=top)
        plot_box = widgets.VBox([self.plot_image, widgets.HBox([self.overlay_button, self.overlay_html], layout=middle)],
                                layout=top)
        super().__init__(children=[
            widgets.HBox([self.label_filter, self.search], layout=middle),
            widgets.HBox([self.picker, self.count], layout=middle),
            settings,
            widgets.HBox([self.progress, self.status], layout=middle),
            self.result_html,
            widgets.HBox([frame_box, plot_box], layout=widgets.Layout(align_items="flex-start", flex_flow="row wrap")),
            self.faces_caption,
            self.faces_image,
        ], layout=top)
        self.add_class("dfx-explorer")

    # ------------------------------------------------------------------ public
    def select(self, name: str) -> None:
        """Choose video ``name`` as if it were picked (clears the filters when they hide it)."""
        if name not in self.state.names:
            self._show(ExplorerResult(name=name, error=error_text(
                DfexploreError(f"no video named {name!r} in the dataset ({len(self.state.names)} videos)"))))
            return
        if name not in [v for _, v in self.picker.options]:
            self._updating_options = True
            try:
                self.search.value = ""
                self.label_filter.value = ALL
            finally:
                self._updating_options = False
            self._refresh_options()
        self.picker.value = name

    def wait(self, timeout: float | None = 120) -> ExplorerResult | None:
        """Block until the running analysis (if any) is shown; return the shown result."""
        fut = self._background.future
        if fut is not None:
            fut.result(timeout=timeout)
        return self.current

    def close(self):
        self._background.close()
        super().close()

    # ------------------------------------------------------------------ helpers
    def _update_count(self) -> None:
        n, total = len(self.picker.options), len(self.state.names)
        self.count.value = render.count_html(n, total)

    def _refresh_options(self) -> None:
        current = self.picker.value
        options = self.state.options(self.label_filter.value, self.search.value)
        self._updating_options = True
        try:
            self.picker.options = options
            names = [v for _, v in options]
            self.picker.value = current if current in names else None
        finally:
            self._updating_options = False
        self._update_count()
        if self.picker.value is None and current is not None:
            # the shown video was filtered out: nothing selected any more
            self._background.cancel()
            self._busy(False)
            self._clear()
            self.result_html.value = render.hint_html()

    def _on_filter(self, change) -> None:
        if self._updating_options:
            return
        try:
            self._refresh_options()
        except Exception as exc:  # noqa: BLE001 - never a traceback in the page
            self._show_message(error_text(exc))

    def _on_pick(self, change) -> None:
        if self._updating_options or change["new"] is None:
            return
        try:
            self._start(change["new"])
        except Exception as exc:  # noqa: BLE001
            self._show_message(error_text(exc))

    def _show_message(self, text: str) -> None:
        self.result_html.value = render.message_html(text)

    def _busy(self, on: bool, message: str = "") -> None:
        self.progress.layout.visibility = "visible" if on else "hidden"
        if on:
            self.progress.value = 0.0
        self.status.value = html.escape(message)

    def _clear(self) -> None:
        for img in (self.frame_image, self.faces_image, self.plot_image):
            img.layout.display = "none"
            img.value = b""
        self.frame_caption.value = ""
        self.faces_caption.value = ""
        self._show_clip(None, "")
        self.overlay_html.value = ""
        self._set_overlay_button(None)
        self._set_manip_button(None)

    def _set_overlay_button(self, result: ExplorerResult | None) -> None:
        self._updating_options = True
        try:
            self.overlay_button.value = False
        finally:
            self._updating_options = False
        original = None if result is None else result.original
        self.overlay_button.disabled = result is None or not result.ok or original is None
        ok = result is not None and result.ok
        self.overlay_html.value = render.original_note_html(original) if ok else ""

    def _start(self, name: str) -> None:
        self._background.cancel()  # whatever runs is for a video no longer picked
        cached = self.state.cached(name)
        if cached is not None:
            self._busy(False)
            self._show(cached)
            return
        failed = self.state.check(name)  # milliseconds: show a bad file's error at once
        if failed is not None:
            self._busy(False)
            self._show(failed)
            return
        self._clear()
        self.result_html.value = render.analysing_html(name)
        self._busy(True, f"{name}: queued")
        self._background.run(
            lambda progress: self.state.select(name, progress=progress),
            on_progress=self._on_progress,
            on_done=self._done,
            on_error=lambda exc: ExplorerResult(name=name, error=error_text(exc), traceback=traceback.format_exc()),
        )

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.value = float(min(1.0, max(0.0, fraction)))
        self.status.value = html.escape(message)

    def _done(self, result: ExplorerResult) -> None:
        self._busy(False)
        self._show(result)

    def _show(self, result: ExplorerResult) -> None:
        # the verdict box last: when it names the video, the images are already there
        self.current = result
        if not result.ok:
            self._clear()
            self.result_html.value = render.verdict_html(result, self.state.classifier_name)
            return
        self._set_overlay_button(result)
        self._set_manip_button(result)
        for img, png in ((self.frame_image, result.frame_png), (self.faces_image, result.faces_png),
                         (self.plot_image, result.plot_png)):
            img.value = png
            img.layout.display = "" if png else "none"
        self.frame_caption.value = render.frame_caption_html(result)
        self._show_clip(result.clip, render.clip_caption_html(result))
        self.faces_caption.value = render.faces_caption_html(result)
        self.result_html.value = render.verdict_html(result, self.state.classifier_name)

    def _set_manip_button(self, result: ExplorerResult | None) -> None:
        self._updating_options = True
        try:
            self.manip_button.value = False
        finally:
            self._updating_options = False
        self.manip_button.disabled = result is None or not result.ok or result.original is None

    def _on_manipulation(self, change) -> None:
        if self._updating_options or self.current is None or not self.current.ok:
            return
        result = self.current
        try:
            if not change["new"]:
                self._show_clip(result.clip, render.clip_caption_html(result))
                return
            self._busy(True, f"{result.name}: queued")
            self._background.run(
                lambda progress: self.state.manipulation(result.name, progress=progress),
                on_progress=self._on_progress,
                on_done=functools.partial(self._manipulation_done, result),
                on_error=lambda exc: ManipulationResult(result.name, None, error=error_text(exc)),
            )
        except Exception as exc:  # noqa: BLE001
            self.video_caption.value = render.overlay_error_html(error_text(exc))

    def _manipulation_done(self, result: ExplorerResult, manip: ManipulationResult) -> None:
        self._busy(False)
        if self.current is not result:
            return  # another video was picked meanwhile
        if not manip.ok:
            self._updating_options = True
            try:
                self.manip_button.value = False
            finally:
                self._updating_options = False
            self._show_clip(result.clip, render.manipulation_html(manip))
            return
        self._show_clip(manip.clip, render.manipulation_html(manip))

    def _show_clip(self, clip, caption: str) -> None:
        if clip is None:
            self.video.layout.display = "none"
            if self.video.value != self._no_clip.data:
                self.video.format = self._no_clip.format
                self.video.value = self._no_clip.data
        else:
            self.video.format = clip.format
            self.video.value = clip.data
            self.video.layout.display = ""
        self.video_caption.value = caption

    def _on_overlay(self, change) -> None:
        if self._updating_options or self.current is None or not self.current.ok:
            return
        result = self.current
        try:
            if not change["new"]:
                self.plot_image.value = result.plot_png
                self._set_overlay_button(result)
                return
            original = result.original
            if original is None or not original.exists:
                over = self.state.overlay(result.name)  # an error message, no analysis
                self._overlay_done(result, over)
                return
            self._busy(True, f"{original.name}: queued")
            self._background.run(
                lambda progress: self.state.overlay(result.name, progress=progress),
                on_progress=self._on_progress,
                on_done=functools.partial(self._overlay_finished, result),
                on_error=lambda exc: OverlayResult(result.name, None, error=error_text(exc)),
            )
        except Exception as exc:  # noqa: BLE001
            self.overlay_html.value = render.overlay_error_html(error_text(exc))

    def _overlay_finished(self, result: ExplorerResult, over: OverlayResult) -> None:
        self._busy(False)
        self._overlay_done(result, over)

    def _overlay_done(self, result: ExplorerResult, over: OverlayResult) -> None:
        if not over.ok:
            self._updating_options = True
            try:
                self.overlay_button.value = False
            finally:
                self._updating_options = False
        else:
            self.plot_image.value = over.plot_png
        self.overlay_html.value = render.overlay_html(over)
