"""HTTP MJPEG (multipart/x-mixed-replace), as many older and cheaper cameras serve it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import av
import numpy as np
import pytest

from console.video.status import Reason, StreamState

from .conftest import MakeWorker, is_live, wait_for

BOUNDARY = "campusframe"


def jpeg_frames(count: int, size: tuple[int, int] = (320, 176)) -> list[bytes]:
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = size[0], size[1], "yuvj420p"
    codec.time_base = Fraction(1, 25)
    out = []
    for n in range(count):
        image = np.full((size[1], size[0], 3), 30, np.uint8)
        image[:, (n * 8) % size[0] : (n * 8) % size[0] + 16] = 230
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuvj420p")
        frame.pts = n
        out += [bytes(packet) for packet in codec.encode(frame)]
    return out


@pytest.fixture
def mjpeg_server() -> Iterator[str]:
    frames = jpeg_frames(25)
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path != "/video.mjpg":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace;boundary={BOUNDARY}")
            self.end_headers()
            n = 0
            while not stop.is_set():
                jpeg = frames[n % len(frames)]
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                try:
                    self.wfile.write(head.encode() + jpeg + b"\r\n")
                except OSError:
                    return
                n += 1
                stop.wait(0.04)

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="mjpeg-server")
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    stop.set()
    server.shutdown()
    server.server_close()  # joins the request threads (block_on_close)
    thread.join(5)


def test_an_mjpeg_camera_over_http_streams_live_frames(mjpeg_server: str, make_worker: MakeWorker) -> None:
    worker = make_worker(f"{mjpeg_server}/video.mjpg", size=(160, 90))
    wait_for(lambda: is_live(worker), 5, "live")
    before = worker.slot.stats().decoded
    time.sleep(1.0)
    assert worker.slot.stats().decoded - before >= 15
    assert worker.native_size == (320, 176) and worker.slot.peek().image.shape[1] == 160


def test_a_wrong_mjpeg_path_is_not_found(mjpeg_server: str, make_worker: MakeWorker) -> None:
    worker = make_worker(f"{mjpeg_server}/nothing.mjpg")
    wait_for(lambda: worker.status().state is StreamState.OFFLINE, 3, "offline")
    assert worker.status().reason is Reason.NOT_FOUND
