"""Raw TCP and HTTP/1.1 client for confab's integration tests; every read takes a deadline.
Standard library only; blocking sockets, used from one test thread."""

import errno
import os
import re
import select
import socket
import struct
import time
from typing import List, NamedTuple, Optional, Tuple

# Sanitizer builds start and run slower; one knob stretches every deadline.
TIME_SCALE = float(os.environ.get("CONFAB_TEST_TIME_SCALE", "1"))


def scaled(seconds: float) -> float:
    return seconds * TIME_SCALE


def deadline_in(seconds: float) -> float:
    return time.monotonic() + scaled(seconds)


def remaining(deadline: float) -> float:
    return deadline - time.monotonic()


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
