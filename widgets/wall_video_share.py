"""Two walls (main window and second monitor) on one video engine: each camera decoded once, at the size of
its largest tile, and released only when no wall shows it any more."""

from __future__ import annotations

from console.video.facade import FrameSlot, StreamStatus, VideoFacade


class SharedVideo:
    """Merges the requests of several views of the same cameras into one request per camera."""

    def __init__(self, video: VideoFacade) -> None:
        self.video = video
        self._wants: dict[str, dict[int, tuple[int, int, bool]]] = {}  # camera → view → (w, h, maximised)

    def view(self) -> SharedView:
        return SharedView(self)

    def _update(self, view: int, camera_id: str, want: tuple[int, int, bool] | None) -> str | None:
        wants = self._wants.setdefault(camera_id, {})
        if want is None:
            wants.pop(view, None)
        else:
            wants[view] = want
        if not wants:
            self._wants.pop(camera_id, None)
            self.video.release(camera_id)
            return None
        width = max(w for w, _, _ in wants.values())
        height = max(h for _, h, _ in wants.values())
        return self.video.request(camera_id, width, height, any(m for _, _, m in wants.values()))


class SharedView:
    """What one wall sees: the VideoFacade's calls, with request/release merged with the other walls'."""

    def __init__(self, share: SharedVideo) -> None:
        self._share = share

    def has_video(self, camera_id: str) -> bool:
        return self._share.video.has_video(camera_id)

    def slot(self, camera_id: str) -> FrameSlot | None:
        return self._share.video.slot(camera_id)

    def status(self, camera_id: str) -> StreamStatus | None:
        return self._share.video.status(camera_id)

    def stream(self, camera_id: str) -> str | None:
        return self._share.video.stream(camera_id)

    def request(self, camera_id: str, width: int, height: int, maximised: bool = False) -> str | None:
        return self._share._update(id(self), camera_id, (width, height, maximised))

    def release(self, camera_id: str) -> None:
        self._share._update(id(self), camera_id, None)
