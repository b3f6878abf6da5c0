"""Harness for confab's integration tests: the real binary, driven by independent peers.

Owns: starting/stopping `confab serve` on ephemeral loopback ports with a temp data dir,
a raw-socket HTTP/WebSocket/telnet client with deadlines, and a small RFC 6455 frame
encoder/decoder written independently of the server (and of `websockets`).
Every wait here takes a deadline; nothing sleeps to "wait for" an event.
Standard library only (the tests add Debian's `websockets` 10.4 as a second peer).
"""

import asyncio
import base64
import errno
import hashlib
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib
from typing import List, NamedTuple, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "build", "release", "src", "confab"))
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3

# Sanitizer builds start and run slower; one knob stretches every deadline.
TIME_SCALE = float(os.environ.get("CONFAB_TEST_TIME_SCALE", "1"))


def scaled(seconds: float) -> float:
    return seconds * TIME_SCALE


def deadline_in(seconds: float) -> float:
    return time.monotonic() + scaled(seconds)


def remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def confab_bin() -> str:
    return os.environ.get("CONFAB_BIN") or DEFAULT_BIN


# ----------------------------------------------------------------------------- server process


class ServerStartError(RuntimeError):
    pass


class ConfabServer:
    """One `confab serve` process on 127.0.0.1 port 0 with its own temp data dir.

    stdout and stderr go to files (a pipe nobody drains could block the server); the ready
    line is polled from the stdout file with a deadline.
    """

    READY_RE = re.compile(
        r"^confab ready http=(?P<http>\S+):(?P<http_port>\d+) telnet=(?P<telnet>\S+)\s*$", re.M)

    def __init__(self, extra_args=(), telnet: bool = True, threads: int = 2):
        self.extra_args = [str(a) for a in extra_args]
        self.telnet = telnet
        self.threads = threads
        self.proc: Optional[subprocess.Popen] = None
        self.tmp: Optional[str] = None
        self.http_port: Optional[int] = None
        self.telnet_port: Optional[int] = None
        self.returncode: Optional[int] = None
        self._final_logs: Optional[str] = None

    # -- lifecycle

    def start(self, timeout: float = 15.0) -> "ConfabServer":
        binary = confab_bin()
        if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
            raise ServerStartError(
                f"confab binary not found or not executable: {binary} (set CONFAB_BIN)")
        self.tmp = tempfile.mkdtemp(prefix="confab-it-")
        data_dir = os.path.join(self.tmp, "data")
        os.mkdir(data_dir)
        args = [binary, "serve", "--listen", "127.0.0.1:0"]
        if self.telnet:
            args += ["--telnet-listen", "127.0.0.1:0"]
        args += ["--data-dir", data_dir, "--threads", str(self.threads)] + self.extra_args
        self.args = args
        self._stdout = open(os.path.join(self.tmp, "stdout"), "wb")
        self._stderr = open(os.path.join(self.tmp, "stderr"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._stdout,
                                     stderr=self._stderr, cwd=self.tmp)
        deadline = deadline_in(timeout)
        while True:
            out = self.stdout_text()
            m = self.READY_RE.search(out)
            if m:
                self.http_port = int(m.group("http_port"))
                if m.group("telnet") != "off":
                    self.telnet_port = int(m.group("telnet").rsplit(":", 1)[1])
                return self
            if self.proc.poll() is not None:
                logs = self.logs()
                self.stop()
                raise ServerStartError(
                    f"confab exited with {self.proc.returncode} before the ready line\n"
                    f"args: {args}\nstdout: {out}\nstderr:\n{logs}")
            if remaining(deadline) <= 0:
                logs = self.logs()
                self.stop()
                raise ServerStartError(
                    f"no ready line within {timeout}s\nargs: {args}\nstdout: {out}\n"
                    f"stderr:\n{logs}")
            time.sleep(0.02)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> Optional[int]:
        """The exit code, or None if still running after `timeout` seconds."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout: float = 5.0) -> Optional[int]:
        """Stops the process (SIGTERM, then SIGKILL after `timeout`), keeps its logs in memory
        and removes the temp dir. Idempotent. Returns the exit code."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            if self.wait_exit(scaled(timeout)) is None:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None:
            self.returncode = self.proc.returncode
        if self.tmp is not None:
            self._final_logs = self.logs()
            for f in (getattr(self, "_stdout", None), getattr(self, "_stderr", None)):
                if f is not None:
                    f.close()
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        return self.returncode

    # -- logs

    def _read(self, name: str) -> str:
        if self.tmp is None:
            return ""
        try:
            with open(os.path.join(self.tmp, name), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stdout_text(self) -> str:
        return self._read("stdout")

    def logs(self) -> str:
        if self.tmp is None:
            return self._final_logs or ""
        return self._read("stderr")

    # -- addresses

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.http_port}{path}"


class ConfabTestCase(unittest.TestCase):
    """Base class: one server per class (default) or per test (`per_test_server = True`).

    A class-level server must survive every test: tearDown fails the test that crashed it.
    When a test fails, the server's stderr is printed so the cause is visible in ctest output.
    """

    server_args: Tuple = ()
    server_telnet = True
    per_test_server = False
    server: ConfabServer

    @classmethod
    def setUpClass(cls):
        if not cls.per_test_server:
            cls.server = ConfabServer(cls.server_args, telnet=cls.server_telnet).start()

    @classmethod
    def tearDownClass(cls):
        if not cls.per_test_server and getattr(cls, "server", None) is not None:
            cls.server.stop()

    def setUp(self):
        if self.per_test_server:
            self.server = self.start_server(self.server_args)

    def start_server(self, args=(), telnet=None) -> ConfabServer:
        server = ConfabServer(args, telnet=self.server_telnet if telnet is None else telnet)
        server.start()
        self.addCleanup(server.stop)
        self._servers = getattr(self, "_servers", []) + [server]
        return server

    def tearDown(self):
        if not self.per_test_server:
            server = type(self).server
            if not server.alive():
                self.fail(f"confab exited during the test with code {server.proc.returncode}")

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        outcome = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            servers = list(getattr(self, "_servers", []))
            if not self.per_test_server and getattr(type(self), "server", None) is not None:
                servers.append(type(self).server)
            for s in servers:
                logs = s.logs()
                if len(logs) > 20000:
                    logs = "...(truncated)...\n" + logs[-20000:]
                sys.stderr.write(f"\n----- confab stderr ({self.id()}, exit={s.returncode})"
                                 f" -----\n{logs}\n----- end confab stderr -----\n")
        return outcome

    # -- conveniences for tests

    def connect(self, port=None, **kw) -> "RawConn":
        conn = RawConn.connect(port if port is not None else self.server.http_port, **kw)
        self.addCleanup(conn.close)
        return conn

    def ws_raw(self, path="/ws/echo", extensions=None, port=None, **kw) -> "RawWebSocket":
        ws = RawWebSocket.open(port if port is not None else self.server.http_port, path,
                               extensions=extensions, **kw)
        self.addCleanup(ws.close)
        return ws

    def telnet_client(self, nick: Optional[str] = None, server=None) -> "TelnetClient":
        server = server or self.server
        tc = TelnetClient.connect(server.telnet_port)
        self.addCleanup(tc.close)
        tc.wait_greeting()
        if nick is not None:
            tc.set_nick(nick)
        return tc


def run_async(coro, timeout: float = 30.0):
    """Runs a coroutine on a fresh event loop with an overall deadline."""
    return asyncio.run(asyncio.wait_for(coro, scaled(timeout)))


# ----------------------------------------------------------------------------- raw TCP


class RawConn:
    """A blocking TCP client with an input buffer; every read takes a deadline."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False
        self.reset = False  # the peer reset the connection (RST) rather than FIN

    @classmethod
    def connect(cls, port: int, timeout: float = 5.0, rcvbuf: Optional[int] = None,
                host: str = "127.0.0.1") -> "RawConn":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(scaled(timeout))
        try:
            sock.connect((host, port))
        except BaseException:
            sock.close()
            raise
        return cls(sock)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self) -> None:
        """Closes with RST (SO_LINGER 0)."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def send(self, data: bytes, timeout: float = 10.0) -> None:
        self.sock.settimeout(scaled(timeout))
        self.sock.sendall(data)

    def try_send(self, data: bytes, timeout: float = 5.0) -> bool:
        """Sends, reporting False instead of raising if the peer has closed/reset."""
        try:
            self.send(data, timeout)
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            return False

    def _fill(self, deadline: float) -> bool:
        """Reads more bytes into buf. False on EOF/reset; raises TimeoutError at deadline."""
        if self.eof:
            return False
        left = remaining(deadline)
        if left <= 0:
            raise TimeoutError("deadline passed waiting for data")
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            raise TimeoutError("deadline passed waiting for data")
        try:
            chunk = self.sock.recv(262144)
        except ConnectionResetError:
            self.eof = self.reset = True
            return False
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED):
                self.eof = self.reset = True
                return False
            raise
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_exact(self, n: int, deadline: float) -> Optional[bytes]:
        """n bytes, or None if the connection ends first."""
        while len(self.buf) < n:
            if not self._fill(deadline):
                return None
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_until(self, delim: bytes, deadline: float, max_bytes: int = 1 << 20) -> Optional[bytes]:
        """Bytes up to and including delim, or None on EOF."""
        start = 0
        while True:
            i = self.buf.find(delim, start)
            if i >= 0:
                out = bytes(self.buf[:i + len(delim)])
                del self.buf[:i + len(delim)]
                return out
            start = max(0, len(self.buf) - len(delim) + 1)
            if len(self.buf) > max_bytes:
                raise AssertionError(f"no {delim!r} within {max_bytes} bytes")
            if not self._fill(deadline):
                return None

    def read_available(self, deadline: float) -> bytes:
        """Whatever arrives until EOF or deadline (no error at deadline)."""
        try:
            while self._fill(deadline):
                pass
        except TimeoutError:
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def wait_closed(self, timeout: float = 5.0) -> bool:
        """Discards input until the peer closes (FIN or RST). True if it did in time."""
        deadline = deadline_in(timeout)
        try:
            while self._fill(deadline):
                self.buf.clear()
        except TimeoutError:
            return False
        return True

    def is_open_now(self, wait: float = 0.0) -> bool:
        """True if no EOF/RST is seen within `wait` seconds (data that arrives is kept)."""
        try:
            deadline = time.monotonic() + wait
            while True:
                if not self._fill(deadline):
                    return False
        except TimeoutError:
            return True


# ----------------------------------------------------------------------------- HTTP


class HttpResponse(NamedTuple):
    status: int
    reason: str
    headers: List[Tuple[str, str]]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        """The last value of a header (case-insensitive), or None."""
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return vals[-1] if vals else None

    def header_tokens(self, name: str) -> List[str]:
        """All comma-separated tokens of a header, lowercased."""
        toks = []
        for k, v in self.headers:
            if k.lower() == name.lower():
                toks += [t.strip().lower() for t in v.split(",") if t.strip()]
        return toks


def read_http_response(conn: RawConn, deadline: float, head_request: bool = False,
                       expect_body: bool = True) -> Optional[HttpResponse]:
    """Reads one HTTP/1.1 response. None if the connection closed before a status line."""
    head = conn.read_until(b"\r\n\r\n", deadline, max_bytes=1 << 16)
    if head is None:
        if conn.buf:
            raise AssertionError(f"connection closed mid-response head: {bytes(conn.buf)[:200]!r}")
        return None
    lines = head[:-4].split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})(?: (.*))?$", lines[0])
    if not m:
        raise AssertionError(f"bad status line {lines[0]!r}")
    status = int(m.group(1))
    reason = (m.group(2) or b"").decode("latin-1")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise AssertionError(f"bad header line {line!r}")
        headers.append((name.decode("latin-1").strip(), value.decode("latin-1").strip()))
    resp = HttpResponse(status, reason, headers, b"")
    if not expect_body or head_request or status in (101, 204, 304) or 100 <= status < 200:
        return resp
    te = resp.header("Transfer-Encoding")
    cl = resp.header("Content-Length")
    if te and "chunked" in te.lower():
        body = bytearray()
        while True:
            size_line = conn.read_until(b"\r\n", deadline)
            if size_line is None:
                raise AssertionError("EOF in chunked body")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                conn.read_until(b"\r\n", deadline)  # trailers not expected; final CRLF
                break
            chunk = conn.read_exact(size + 2, deadline)
            if chunk is None:
                raise AssertionError("EOF in chunk")
            body += chunk[:-2]
        return resp._replace(body=bytes(body))
    if cl is not None:
        body = conn.read_exact(int(cl), deadline)
        if body is None:
            raise AssertionError(f"EOF before {cl} body bytes")
        return resp._replace(body=body)
    # No framing: the body runs to EOF.
    body = bytearray(conn.buf)
    conn.buf.clear()
    try:
        while conn._fill(deadline):
            body += conn.buf
            conn.buf.clear()
    except TimeoutError:
        raise AssertionError("response without Content-Length did not end with EOF")
    return resp._replace(body=bytes(body))


def build_request(method: str, path: str, port: int, headers=(), body: bytes = b"",
                  host: bool = True) -> bytes:
    lines = [f"{method} {path} HTTP/1.1"]
    if host:
        lines.append(f"Host: 127.0.0.1:{port}")
    lines += [f"{k}: {v}" for k, v in headers]
    if body and not any(k.lower() == "content-length" for k, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def http_request(port: int, method: str, path: str, headers=(), body: bytes = b"",
                 timeout: float = 5.0) -> HttpResponse:
    """One request on a fresh connection (Connection: close)."""
    conn = RawConn.connect(port)
    try:
        conn.send(build_request(method, path, port, list(headers) + [("Connection", "close")],
                                body))
        resp = read_http_response(conn, deadline_in(timeout), head_request=(method == "HEAD"))
        if resp is None:
            raise AssertionError(f"{method} {path}: connection closed without a response")
        return resp
    finally:
        conn.close()


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


# ----------------------------------------------------------------------------- telnet

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240


class TelnetLine(NamedTuple):
    text: str       # decoded, without line terminator
    raw: bytes      # bytes including the terminator, IAC sequences removed


class TelnetClient(RawConn):
    """A line-oriented telnet client that strips IAC negotiation from what it reads."""

    def __init__(self, sock):
        super().__init__(sock)
        self.clean = bytearray()
        self.iac_seen: List[bytes] = []   # negotiation sequences the server sent
        self.history: List[TelnetLine] = []

    def _strip_iac(self) -> None:
        """Moves complete data from buf into clean, removing IAC sequences."""
        b = self.buf
        i = 0
        while i < len(b):
            c = b[i]
            if c != IAC:
                j = b.find(bytes([IAC]), i)
                j = len(b) if j < 0 else j
                self.clean += b[i:j]
                i = j
                continue
            if i + 1 >= len(b):
                break
            cmd = b[i + 1]
            if cmd == IAC:
                self.clean.append(IAC)
                i += 2
            elif cmd in (WILL, WONT, DO, DONT):
                if i + 2 >= len(b):
                    break
                self.iac_seen.append(bytes(b[i:i + 3]))
                i += 3
            elif cmd == SB:
                end = b.find(bytes([IAC, SE]), i + 2)
                if end < 0:
                    break
                self.iac_seen.append(bytes(b[i:end + 2]))
                i = end + 2
            else:
                self.iac_seen.append(bytes(b[i:i + 2]))
                i += 2
        del b[:i]

    def read_line(self, timeout: float = 5.0) -> Optional[TelnetLine]:
        """The next line, or None on EOF (a partial last line is returned if non-empty).
        Raises TimeoutError after `timeout` seconds."""
        return self._read_line(deadline_in(timeout))

    def _read_line(self, deadline: float) -> Optional[TelnetLine]:
        while True:
            self._strip_iac()
            nl = self.clean.find(b"\n")
            if nl >= 0:
                raw = bytes(self.clean[:nl + 1])
                del self.clean[:nl + 1]
                line = TelnetLine(raw.rstrip(b"\r\n").decode("utf-8", "replace"), raw)
                self.history.append(line)
                return line
            if not self._fill(deadline):
                self._strip_iac()
                if self.clean:
                    raw = bytes(self.clean)
                    self.clean.clear()
                    line = TelnetLine(raw.decode("utf-8", "replace"), raw)
                    self.history.append(line)
                    return line
                return None

    def wait_line(self, pred, timeout: float = 5.0, what: str = "") -> Tuple[TelnetLine, List[TelnetLine]]:
        """Reads until a line satisfies pred; returns (that line, lines before it)."""
        deadline = deadline_in(timeout)
        before: List[TelnetLine] = []
        while True:
            try:
                line = self._read_line(deadline)
            except TimeoutError:
                raise AssertionError(f"no telnet line matching {what or pred} within {timeout}s;"
                                     f" got {[l.text for l in before]}")
            if line is None:
                raise AssertionError(f"telnet connection closed while waiting for {what or pred};"
                                     f" got {[l.text for l in before]}")
            if pred(line.text):
                return line, before
            before.append(line)

    def wait_contains(self, needle: str, timeout: float = 5.0):
        return self.wait_line(lambda t: needle in t, timeout, what=repr(needle))

    def send_line(self, text, terminator: bytes = b"\r\n") -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        self.send(data + terminator)

    def wait_greeting(self, timeout: float = 5.0) -> TelnetLine:
        """The first non-empty line the server sends on connect."""
        line, _ = self.wait_line(lambda t: t.strip() != "", timeout, what="a greeting")
        return line

    def set_nick(self, nick: str, timeout: float = 5.0) -> TelnetLine:
        self.send_line(f"/nick {nick}")
        line, _ = self.wait_line(lambda t: t.startswith("* ") and nick in t, timeout,
                                 what=f"'* ' reply naming {nick}")
        self.nick = nick
        return line

    def command(self, cmd: str, pred=None, timeout: float = 5.0) -> Tuple[TelnetLine, List[TelnetLine]]:
        """Sends a command and waits for its first '* ' reply (or a line matching pred)."""
        self.send_line(cmd)
        return self.wait_line(pred or (lambda t: t.startswith("* ")), timeout, what=f"reply to {cmd}")

    def sync(self, timeout: float = 5.0) -> List[TelnetLine]:
        """Round-trips commands: returns every line that arrived before the server answered,
        so everything the server sent before processing our sync is in the result.
        Renames to a unique temporary nick (a reply nobody else can produce), then back."""
        nick = getattr(self, "nick", None)
        if nick is None:
            raise AssertionError("sync() needs a nick set with set_nick()")
        temp = f"{nick[:20]}.{os.urandom(3).hex()}"
        self.send_line(f"/nick {temp}")
        _, before = self.wait_line(lambda t: t.startswith("* ") and temp in t, timeout,
                                   what=f"sync reply naming {temp}")
        self.send_line(f"/nick {nick}")
        self.wait_line(lambda t: t.startswith("* ") and nick in t and temp not in t, timeout,
                       what=f"reply naming {nick}")
        return before
