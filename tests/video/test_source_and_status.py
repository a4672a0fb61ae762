"""URLs (credentials, relative files, transport, redaction), error classification and the backoff."""

from __future__ import annotations

import errno
import random
from pathlib import Path

import av
import av.error
import pytest

from console.video.engine import health_of
from console.video.source import redact, resolve
from console.video.status import Backoff, Reason, StreamEnded, StreamState, StreamStatus, classify
from console.video.timing import fit_size
from drivers.base import HealthState


def test_credentials_go_into_the_url_quoted_and_never_into_what_is_shown() -> None:
    source = resolve("rtsp://cam.example:554/Streaming/101", credential=("admin", "p@ss:w/rd"))
    assert source.url == "rtsp://admin:p%40ss%3Aw%2Frd@cam.example:554/Streaming/101"
    assert "p%40ss" not in source.display and "admin:***@" in source.display
    assert "p%40ss" not in repr(source) and "p%40ss" not in str(source)
    assert source.options["rtsp_transport"] == "tcp"
    # A user name in the URL wins over the credential's; the password comes from the credential.
    named = resolve("rtsp://viewer@cam.example/s", credential=("admin", "x"))
    assert named.url == "rtsp://viewer:x@cam.example/s"


def test_udp_is_chosen_by_url_fragment_or_config_and_the_fragment_never_reaches_ffmpeg() -> None:
    assert resolve("rtsp://cam/s#transport=udp").options["rtsp_transport"] == "udp"
    assert resolve("rtsp://cam/s", rtsp_transport="udp").options["rtsp_transport"] == "udp"
    assert "#" not in resolve("rtsp://cam/s#transport=udp").url
    with pytest.raises(ValueError, match="transport"):
        resolve("rtsp://cam/s#transport=sctp")
    assert resolve("rtsp://cam/s", io_timeout_s=2).options["timeout"] == "3000000"
    http = resolve("https://cam/mjpeg", io_timeout_s=3)
    assert http.kind == "http" and http.options["rw_timeout"] == "4000000"


def test_relative_file_urls_are_taken_from_the_site_folder(tmp_path: Path) -> None:
    assert resolve("file:clips/a.mp4", base_dir=tmp_path).url == str(tmp_path / "clips" / "a.mp4")
    assert resolve("file://./clips/a.mp4", base_dir=tmp_path).url == str(tmp_path / "clips" / "a.mp4")
    assert resolve("file:///srv/video/a%20b.mp4", base_dir=tmp_path).url == "/srv/video/a b.mp4"
    assert resolve("file:clips/a.mp4", base_dir=tmp_path).realtime_file


def test_redact_masks_passwords_in_urls_inside_any_text() -> None:
    text = "Server returned 401 Unauthorized: 'rtsp://admin:hunter2@10.0.0.5/s' and http://u:p@h/x?pwd=9&a=1"
    out = redact(text)
    assert "hunter2" not in out and "u:***@h" in out and "pwd=***" in out and "a=1" in out
    assert redact("rtsp://viewer@cam/s") == "rtsp://viewer@cam/s"  # a bare user name is no secret


class _Errno(OSError):
    pass


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (FileNotFoundError(errno.ENOENT, "no such file"), Reason.NOT_FOUND),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), Reason.UNREACHABLE),
        (_Errno(errno.EHOSTUNREACH, "No route to host"), Reason.UNREACHABLE),
        (_Errno(errno.ETIMEDOUT, "timed out"), Reason.TIMEOUT),
        (TimeoutError("slow"), Reason.TIMEOUT),
        (StreamEnded("eof"), Reason.ENDED),
        (ValueError("Server returned 401 Unauthorized"), Reason.AUTH_FAILED),
        (ValueError("Invalid data found when processing input"), Reason.STREAM_ERROR),
        # FFmpeg appends the URL: its port is no HTTP status (this one once read as "404 not found").
        (av.error.InvalidDataError(1094995529, "Invalid data found when processing input",
                                   "rtsp://127.0.0.1:40457/cam"), Reason.STREAM_ERROR),
        (av.error.HTTPNotFoundError(-1330794744, "Server returned 404 Not Found", "rtsp://h:4401/x"),
         Reason.NOT_FOUND),
    ],
)
def test_errors_are_classified_into_reasons_an_officer_can_act_on(exc: BaseException, reason: Reason) -> None:
    assert classify(exc) is reason


def test_backoff_grows_to_its_cap_with_jitter_and_backs_off_further_for_permanent_failures() -> None:
    backoff = Backoff(initial_s=0.5, max_s=5, max_permanent_s=60, jitter=0.2)
    rng = random.Random(1)
    transient = [backoff.delay(n, Reason.UNREACHABLE, rng) for n in range(1, 10)]
    assert 0.4 <= transient[0] <= 0.6 and all(d <= 6.0 for d in transient) and transient[-1] >= 4.0
    permanent = [backoff.delay(n, Reason.AUTH_FAILED, rng) for n in range(1, 10)]
    assert permanent[0] >= 1.6 and permanent[-1] >= 48 and max(permanent) <= 72
    spread = {round(backoff.delay(3, Reason.TIMEOUT), 3) for _ in range(20)}
    assert len(spread) > 10  # cameras that fell together do not retry together


def test_stream_states_map_to_device_health() -> None:
    assert health_of(StreamStatus(StreamState.LIVE)) == (HealthState.ONLINE, "")
    assert health_of(StreamStatus(StreamState.STALLED)) == (HealthState.DEGRADED, "stalled")
    assert health_of(StreamStatus(StreamState.RECONNECTING, Reason.TIMEOUT))[0] is HealthState.DEGRADED
    offline = StreamStatus(StreamState.OFFLINE, Reason.AUTH_FAILED)
    assert health_of(offline) == (HealthState.OFFLINE, "auth failed")
    assert health_of(StreamStatus(StreamState.CONNECTING)) is None


@pytest.mark.parametrize(
    ("src", "box", "expected"),
    [
        ((640, 360), (320, 180), (320, 180)),
        ((640, 360), (200, 200), (200, 112)),
        ((640, 360), (1000, 300), (528, 296)),
        ((1920, 1080), (10, 10), (16, 16)),
        ((640, 360), (0, 0), (0, 0)),
        ((640, 360), (10_000, 10_000), (3840, 2160)),
    ],
)
def test_fit_size_keeps_the_aspect_ratio_and_aligned_widths(src: tuple[int, int], box: tuple[int, int],
                                                            expected: tuple[int, int]) -> None:
    assert fit_size(*src, *box) == expected
