"""A TCP proxy for RTSP-over-TCP that can damage the stream on cue: corrupt RTP payloads or cut mid-packet."""

from __future__ import annotations

import os
import select
import socket
import struct
import threading


def _next_unit(buffer: bytearray) -> bytes | None:
    """Split one whole unit off the server's byte stream: an interleaved '$' frame or an RTSP message."""
    if not buffer:
        return None
    if buffer[0] == 0x24:  # '$', channel, 16-bit length, payload
        if len(buffer) < 4:
            return None
        size = 4 + struct.unpack(">H", buffer[2:4])[0]
    else:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buffer[:end]).decode("latin-1").lower()
        body = next((int(line.split(":", 1)[1]) for line in head.split("\r\n")
                     if line.startswith("content-length:")), 0)
        size = end + 4 + body
    if len(buffer) < size:
        return None
    unit = bytes(buffer[:size])
    del buffer[:size]
    return unit


class RtspProxy:
    """Listens on a free port and forwards to ``upstream_port``. Set ``corrupt`` to the number of RTP
    packets whose payload should be replaced by junk, ``cut`` to end the next connection mid-frame, or
    ``freeze`` to swallow the server's packets while keeping the connection open (a hung camera)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.corrupt = 0
        self.cut = False
        self.freeze = False
        self.corrupted = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._spawn(self._accept, "proxy-accept")

    def stop(self) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(5)
        self._listener.close()

    def _spawn(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.1)
            if ready:
                client, _ = self._listener.accept()
                self._spawn(self._serve, "proxy-conn", client)

    def _damage(self, unit: bytes) -> tuple[bytes, bool]:
        """The unit to forward, and whether to hang up after it."""
        if unit[0] != 0x24 or unit[1] % 2:  # RTSP text or RTCP: pass through
            return unit, False
        with self._lock:
            if self.cut:
                self.cut = False
                self.cuts += 1
                return unit[: len(unit) // 2], True
            if self.corrupt > 0 and len(unit) > 20:
                self.corrupt -= 1
                self.corrupted += 1
                # Keep the 4-byte framing and the 12-byte RTP header (sequence numbers stay consistent);
                # the payload becomes a "slice" NAL of random bytes, which the decoder must choke on.
                junk = b"\x41" + os.urandom(len(unit) - 17)
                return unit[:16] + junk, False
        return unit, False

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            client.close()
            return
        pending = bytearray()
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.1)
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    upstream.sendall(data)
                if upstream in ready:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    pending += data
                    while (unit := _next_unit(pending)) is not None:
                        out, hang_up = self._damage(unit)
                        if self.freeze and unit[0] == 0x24:
                            continue
                        client.sendall(out)
                        if hang_up:
                            return
        except OSError:
            return
        finally:
            client.close()
            upstream.close()
