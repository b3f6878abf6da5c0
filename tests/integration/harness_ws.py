"""RFC 6455 client side on a raw socket: our own frame encoder/decoder (independent of the
server and of `websockets`), RFC 7692 deflate helpers and the opening handshake."""

import base64
import hashlib
import os
import struct
import zlib
from typing import List, NamedTuple, Optional, Tuple

from harness_net import (HttpResponse, RawConn, build_request, deadline_in,
                         read_http_response)

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


# ----------------------------------------------------------------------------- WebSocket frames

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
DEFLATE_TAIL = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.1


class Frame(NamedTuple):
    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: int
    payload: bytes
    masked: bool = False

    def close_code(self) -> Optional[int]:
        if self.opcode != OP_CLOSE or len(self.payload) < 2:
            return None
        return struct.unpack("!H", self.payload[:2])[0]

    def close_reason(self) -> bytes:
        return self.payload[2:]


def mask_bytes(key: bytes, data: bytes) -> bytes:
    """XOR with the 4-byte key (RFC 6455 §5.3), fast for large payloads."""
    if not data:
        return b""
    n = len(data)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv1: bool = False,
                 rsv2: bool = False, rsv3: bool = False, mask: bool = True,
                 mask_key: Optional[bytes] = None, length: Optional[int] = None) -> bytes:
    """One frame as a client would send it (masked unless mask=False).

    `length` overrides the advertised payload length (for lying headers); the payload is
    still appended as given.
    """
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0) | \
         (0x10 if rsv3 else 0) | (opcode & 0x0F)
    n = len(payload) if length is None else length
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return head + key + mask_bytes(key, payload)


def close_payload(code: Optional[int] = None, reason: bytes = b"") -> bytes:
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    return struct.pack("!H", code) + reason


def decode_frame(buf: bytes) -> Optional[Tuple[Frame, int]]:
    """Parses one frame from the start of buf: (frame, bytes consumed), or None if incomplete.
    Unmasks masked frames."""
    if len(buf) < 2:
        return None
    b0, b1 = buf[0], buf[1]
    n = b1 & 0x7F
    pos = 2
    if n == 126:
        if len(buf) < 4:
            return None
        n = struct.unpack("!H", buf[2:4])[0]
        pos = 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n = struct.unpack("!Q", buf[2:10])[0]
        pos = 10
    masked = bool(b1 & 0x80)
    key = b""
    if masked:
        if len(buf) < pos + 4:
            return None
        key = bytes(buf[pos:pos + 4])
        pos += 4
    if len(buf) < pos + n:
        return None
    payload = bytes(buf[pos:pos + n])
    if masked:
        payload = mask_bytes(key, payload)
    frame = Frame(bool(b0 & 0x80), bool(b0 & 0x40), bool(b0 & 0x20), bool(b0 & 0x10),
                  b0 & 0x0F, payload, masked)
    return frame, pos + n


def deflate_message(data: bytes, compressor=None) -> bytes:
    """RFC 7692 §7.2.1 compression of one message; pass a compressor to keep context."""
    c = compressor or zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(DEFLATE_TAIL)
    return out[:-4]


def inflate_message(data: bytes, decompressor=None, max_size: int = 64 << 20) -> bytes:
    d = decompressor or zlib.decompressobj(-15)
    out = d.decompress(data + DEFLATE_TAIL, max_size)
    return out


def ws_accept(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + WS_GUID).digest()).decode()


def new_ws_key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def ws_handshake_headers(key: Optional[str] = None, version: Optional[str] = "13",
                         upgrade: Optional[str] = "websocket", connection: Optional[str] = "Upgrade",
                         extensions: Optional[str] = None, extra=()) -> List[Tuple[str, str]]:
    """Request headers for an upgrade; pass None to omit one."""
    headers = []
    if upgrade is not None:
        headers.append(("Upgrade", upgrade))
    if connection is not None:
        headers.append(("Connection", connection))
    if key is not None:
        headers.append(("Sec-WebSocket-Key", key))
    if version is not None:
        headers.append(("Sec-WebSocket-Version", version))
    if extensions is not None:
        headers.append(("Sec-WebSocket-Extensions", extensions))
    return headers + list(extra)


class CloseResult(NamedTuple):
    frames: List[Frame]          # every frame before the Close (data and control)
    close: Optional[Frame]       # the Close frame, or None if TCP ended without one
    reset: bool                  # the connection was reset

    @property
    def code(self) -> Optional[int]:
        return self.close.close_code() if self.close else None


class WsMessage(NamedTuple):
    opcode: int          # OP_TEXT / OP_BINARY
    payload: bytes       # reassembled (and inflated if compressed)
    controls: List[Frame]  # control frames seen while reading it


class RawWebSocket(RawConn):
    """A client WebSocket on a raw socket: the test controls every bit on the wire."""

    key: str
    response: HttpResponse
    deflate: bool = False

    @classmethod
    def open(cls, port: int, path: str = "/ws/echo", extensions: Optional[str] = None,
             rcvbuf: Optional[int] = None, timeout: float = 5.0) -> "RawWebSocket":
        """Connects and completes the handshake; raises AssertionError unless 101."""
        ws = cls.connect(port, rcvbuf=rcvbuf)
        try:
            ws.key = new_ws_key()
            ws.send(build_request("GET", path, port,
                                  ws_handshake_headers(ws.key, extensions=extensions)))
            resp = read_http_response(ws, deadline_in(timeout), expect_body=False)
            if resp is None:
                raise AssertionError(f"handshake to {path}: connection closed without response")
            if resp.status != 101:
                # Read any body for the message.
                raise AssertionError(f"handshake to {path}: status {resp.status} {resp.reason}")
            if resp.header("Sec-WebSocket-Accept") != ws_accept(ws.key):
                raise AssertionError(f"bad Sec-WebSocket-Accept {resp.header('Sec-WebSocket-Accept')}")
            ws.response = resp
            ext = resp.header("Sec-WebSocket-Extensions") or ""
            ws.deflate = "permessage-deflate" in ext.lower()
        except BaseException:
            ws.close()
            raise
        return ws

    # -- sending

    def send_frame(self, opcode: int, payload: bytes = b"", **kw) -> None:
        self.send(encode_frame(opcode, payload, **kw))

    def send_text(self, text, **kw) -> None:
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text, **kw)

    def send_binary(self, data: bytes, **kw) -> None:
        self.send_frame(OP_BINARY, data, **kw)

    def send_close(self, code: Optional[int] = 1000, reason: bytes = b"") -> bool:
        return self.try_send(encode_frame(OP_CLOSE, close_payload(code, reason)))

    def send_compressed(self, opcode: int, data: bytes, compressor=None) -> None:
        self.send_frame(opcode, deflate_message(data, compressor), rsv1=True)

    # -- receiving

    def read_frame(self, deadline: float, allow_truncated: bool = False) -> Optional[Frame]:
        """The next frame, or None on EOF/reset. Fails on a masked server frame, and on a
        connection that ends inside a frame unless allow_truncated (then None)."""
        while True:
            parsed = decode_frame(self.buf)
            if parsed is not None:
                frame, used = parsed
                del self.buf[:used]
                if frame.masked:
                    raise AssertionError("server sent a masked frame (RFC 6455 §5.1)")
                return frame
            if not self._fill(deadline):
                if self.buf and not allow_truncated:
                    raise AssertionError(f"connection ended inside a frame ({len(self.buf)} bytes)")
                return None

    def read_message(self, timeout: float = 5.0, auto_pong: bool = False) -> WsMessage:
        """The next data message (fragments reassembled, inflated when RSV1). Control frames
        seen on the way are returned in .controls. Fails on Close or EOF."""
        deadline = deadline_in(timeout)
        controls: List[Frame] = []
        parts: List[bytes] = []
        opcode = None
        compressed = False
        while True:
            f = self.read_frame(deadline)
            if f is None:
                raise AssertionError(f"connection ended while waiting for a message "
                                     f"(reset={self.reset}, controls={controls})")
            if f.opcode == OP_CLOSE:
                raise AssertionError(f"got Close {f.close_code()} {f.close_reason()!r} while "
                                     f"waiting for a message")
            if f.opcode >= 0x8:
                controls.append(f)
                if auto_pong and f.opcode == OP_PING:
                    self.send_frame(OP_PONG, f.payload)
                continue
            if opcode is None:
                if f.opcode == OP_CONT:
                    raise AssertionError("server sent a continuation frame with no message")
                opcode, compressed = f.opcode, f.rsv1
            elif f.opcode != OP_CONT:
                raise AssertionError("server started a new message inside a fragmented one")
            parts.append(f.payload)
            if f.fin:
                payload = b"".join(parts)
                if compressed:
                    if not self.deflate:
                        raise AssertionError("server set RSV1 without negotiating deflate")
                    payload = inflate_message(payload)
                return WsMessage(opcode, payload, controls)

    def read_until_close(self, timeout: float = 5.0, allow_truncated: bool = False) -> CloseResult:
        """Frames until the server's Close (or EOF). Raises TimeoutError at the deadline."""
        deadline = deadline_in(timeout)
        frames: List[Frame] = []
        while True:
            f = self.read_frame(deadline, allow_truncated)
            if f is None:
                return CloseResult(frames, None, self.reset)
            if f.opcode == OP_CLOSE:
                return CloseResult(frames, f, False)
            frames.append(f)
