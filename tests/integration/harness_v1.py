"""confab.v1 clients and restartable servers for the test_v1_* modules.

V1Client: one `/ws` connection (Debian's websockets 10.4) with a background reader that keeps
every server message in an inbox, so a test's own clients are never slow consumers and every
wait takes a deadline. RawV1Socket: the same protocol on a raw socket whose reading the test
controls (slow consumers). DurableServer: a ConfabServer on a data dir and port that outlive
the process, for restart and crash tests.
"""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Callable, Dict, List, Optional

import websockets

from confab_harness import (ConfabServer, ConfabTestCase, RawWebSocket, ServerStartError,
                            build_request, confab_bin, deadline_in, new_ws_key,
                            read_http_response, remaining, run_async, scaled, ws_accept,
                            ws_handshake_headers)

SUBPROTOCOL = "confab.v1"
Msg = Dict[str, object]


def unique(prefix: str) -> str:
    """A room or id name no other test uses (tests share one server per class)."""
    return f"{prefix}-{os.urandom(4).hex()}"


# ----------------------------------------------------------------------------- websockets client


class V1Closed(AssertionError):
    """The connection ended while a test waited for a message."""


class V1Client:
    """A confab.v1 connection. Every received message goes to `inbox` (in arrival order) and
    to `log` (never consumed); `take` removes the first inbox message matching a predicate."""

    def __init__(self, ws, label: str):
        self.ws = ws
        self.label = label
        self.inbox: List[Msg] = []
        self.log: List[Msg] = []
        self.welcome: Optional[Msg] = None
        self.session: Optional[str] = None    # the secret session id (welcome.session)
        self.member_id: Optional[str] = None  # the public member id (welcome.member.session)
        self.close_code: Optional[int] = None
        self.closed = asyncio.Event()
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read_loop())

    @classmethod
    async def open(cls, port: int, label: str = "client", timeout: float = 5.0,
                   **kw) -> "V1Client":
        kw.setdefault("open_timeout", scaled(timeout))
        kw.setdefault("close_timeout", scaled(2))
        kw.setdefault("max_queue", None)
        kw.setdefault("max_size", 8 << 20)
        kw.setdefault("ping_interval", None)
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", subprotocols=[SUBPROTOCOL],
                                      **kw)
        if ws.subprotocol != SUBPROTOCOL:
            await ws.close()
            raise AssertionError(f"server chose subprotocol {ws.subprotocol!r}")
        return cls(ws, label)

    @classmethod
    async def connect(cls, port: int, nick: str, session: Optional[str] = None,
                      timeout: float = 5.0, **kw) -> "V1Client":
        """Opens a connection and completes hello → welcome."""
        c = await cls.open(port, label=nick, timeout=timeout, **kw)
        try:
            await c.hello(nick, session, timeout)
        except BaseException:
            await c.close()
            raise
        return c

    async def hello(self, nick: str, session: Optional[str] = None,
                    timeout: float = 5.0) -> Msg:
        cmd = {"type": "hello", "nick": nick}
        if session is not None:
            cmd["session"] = session
        await self.send(cmd)
        w = await self.take(lambda m: m["type"] in ("welcome", "error"), timeout, "welcome")
        if w["type"] != "welcome":
            raise AssertionError(f"{self.label}: hello refused: {w}")
        self.welcome, self.session = w, w["session"]
        self.member_id = (w.get("member") or {}).get("session")
        return w

    async def _read_loop(self):
        try:
            while True:
                raw = await self.ws.recv()
                if isinstance(raw, bytes):
                    msg = {"type": "<binary>", "raw": raw}
                else:
                    try:
                        msg = json.loads(raw)
                    except ValueError:
                        msg = {"type": "<not json>", "raw": raw}
                    if not isinstance(msg, dict):
                        msg = {"type": "<not an object>", "raw": raw}
                self.inbox.append(msg)
                self.log.append(msg)
                self._arrived.set()
        except websockets.ConnectionClosed as e:
            self.close_code = e.rcvd.code if e.rcvd is not None else 1006
        finally:
            self.closed.set()
            self._arrived.set()

    # -- sending

    async def send(self, obj) -> None:
        await self.ws.send(json.dumps(obj, separators=(",", ":")))

    async def send_raw(self, data) -> None:
        await self.ws.send(data)

    # -- receiving

    async def take(self, pred: Callable[[Msg], bool], timeout: float = 5.0,
                   what: str = "a message", deadline: Optional[float] = None) -> Msg:
        """Removes and returns the first inbox message matching pred, waiting up to timeout
        (scaled), or until `deadline` (a time.monotonic() value) if given."""
        if deadline is None:
            deadline = deadline_in(timeout)
        while True:
            for i, m in enumerate(self.inbox):
                if pred(m):
                    return self.inbox.pop(i)
            if self.closed.is_set():
                raise V1Closed(f"{self.label}: connection closed ({self.close_code}) while "
                               f"waiting for {what}; inbox: {self.inbox[-5:]}")
            left = remaining(deadline)
            if left <= 0:
                raise AssertionError(f"{self.label}: no {what} before the deadline; "
                                     f"inbox tail: {self.inbox[-5:]}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def take_type(self, type_: str, timeout: float = 5.0, **fields) -> Msg:
        return await self.take(
            lambda m: m.get("type") == type_ and all(m.get(k) == v for k, v in fields.items()),
            timeout, f"{type_} {fields}")

    async def reply(self, cmd: Msg, reply_type: str, timeout: float = 5.0) -> Msg:
        """Sends cmd with a fresh ref; returns the reply_type or error carrying that ref."""
        ref = cmd.get("ref") or unique("r")
        await self.send(dict(cmd, ref=ref))
        return await self.take(lambda m: m.get("ref") == ref and m["type"] in (reply_type, "error"),
                               timeout, f"{reply_type}/error with ref {ref}")

    async def error_for(self, cmd, timeout: float = 5.0) -> Msg:
        """Sends cmd (a dict gets a ref) and returns the error it causes."""
        if isinstance(cmd, dict):
            ref = cmd.get("ref") or unique("r")
            await self.send(dict(cmd, ref=ref))
            return await self.take(lambda m: m["type"] == "error" and m.get("ref") == ref,
                                   timeout, f"error with ref {ref}")
        await self.send_raw(cmd)
        return await self.take(lambda m: m["type"] == "error", timeout, "an error")

    async def join(self, room: str, timeout: float = 5.0, **fields) -> Msg:
        joined = await self.reply(dict({"type": "join", "room": room}, **fields), "joined", timeout)
        if joined["type"] != "joined":
            raise AssertionError(f"{self.label}: join {room} {fields} refused: {joined}")
        return joined

    async def msgs(self, room: str, count: int, timeout: float = 10.0) -> List[Msg]:
        """The next `count` msgs of room, in arrival order."""
        out = []
        deadline = deadline_in(timeout)
        for _ in range(count):
            out.append(await self.take(lambda m: m["type"] == "msg" and m.get("room") == room,
                                       what=f"msg {len(out) + 1}/{count} of {room}",
                                       deadline=deadline))
        return out

    async def msgs_until_seq(self, room: str, last_seq: int, timeout: float = 10.0) -> List[Msg]:
        """Qos 1 msgs of room in arrival order until one with seq >= last_seq."""
        out = []
        deadline = deadline_in(timeout)
        while not out or out[-1].get("seq", 0) < last_seq:
            out.append(await self.take(
                lambda m: m["type"] == "msg" and m.get("room") == room and m.get("qos") == 1,
                what=f"qos 1 msgs of {room} up to seq {last_seq} (have "
                f"{[m.get('seq') for m in out[-3:]]})", deadline=deadline))
        return out

    async def publish(self, room: str, id_: str, data, timeout: float = 5.0, **fields) -> Msg:
        """A qos 1 pub; returns its ack (fails on an error)."""
        await self.send(dict({"type": "pub", "room": room, "id": id_, "data": data}, **fields))
        got = await self.take(lambda m: (m["type"] == "ack" and m.get("id") == id_
                                         and m.get("room") == room) or m["type"] == "error",
                              timeout, f"ack of {id_}")
        if got["type"] != "ack":
            raise AssertionError(f"{self.label}: pub {id_} refused: {got}")
        return got

    async def sync(self, timeout: float = 5.0) -> None:
        """Round-trips a ping: everything the server sent before handling it is in the inbox."""
        pong = await self.reply({"type": "ping"}, "pong", timeout)
        if pong["type"] != "pong":
            raise AssertionError(f"{self.label}: ping answered with {pong}")

    async def sync_room(self, room: str, timeout: float = 5.0) -> None:
        """Publishes a QoS 0 marker to `room` (joined) and waits for it to come back, then
        drops it. The server may hold presence events for a moment to send a burst together,
        but releases what it holds for a room before any message to that room: afterwards,
        every presence event of the room announced before the marker is in the inbox."""
        marker = unique("sync")
        await self.send({"type": "pub", "room": room, "qos": 0, "data": marker})
        await self.take(lambda m: m["type"] == "msg" and m.get("data") == marker, timeout,
                        f"sync marker in {room}")

    def pop_all(self) -> List[Msg]:
        """Everything in the inbox, which is left empty."""
        out, self.inbox = self.inbox, []
        return out

    async def wait_arrival(self, timeout: float) -> None:
        """Returns when a message arrives or the connection ends, or after timeout (unscaled:
        this is a pacing step, not a deadline)."""
        if self.inbox or self.closed.is_set():
            return
        self._arrived.clear()
        try:
            await asyncio.wait_for(self._arrived.wait(), max(timeout, 0))
        except asyncio.TimeoutError:
            pass

    def drop(self, pred: Callable[[Msg], bool]) -> None:
        self.inbox = [m for m in self.inbox if not pred(m)]

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.ws.close(), scaled(3))
        except (asyncio.TimeoutError, OSError, websockets.WebSocketException):
            pass
        self._reader.cancel()
        try:
            await self._reader
        except (asyncio.CancelledError, Exception):
            pass

    def abort(self) -> None:
        """Drops the TCP connection without a close handshake (a lost network)."""
        self.ws.transport.abort()


# ----------------------------------------------------------------------------- raw socket client


class RawV1Socket(RawWebSocket):
    """confab.v1 on a raw blocking socket: the test decides when (and whether) to read."""

    @classmethod
    def open_v1(cls, port: int, rcvbuf: Optional[int] = None,
                timeout: float = 5.0) -> "RawV1Socket":
        ws = cls.connect(port, rcvbuf=rcvbuf)
        try:
            ws.key = new_ws_key()
            headers = ws_handshake_headers(ws.key, extra=[("Sec-WebSocket-Protocol", SUBPROTOCOL)])
            ws.send(build_request("GET", "/ws", port, headers))
            resp = read_http_response(ws, deadline_in(timeout), expect_body=False)
            if resp is None or resp.status != 101:
                raise AssertionError(f"v1 handshake failed: {resp}")
            if resp.header("Sec-WebSocket-Accept") != ws_accept(ws.key):
                raise AssertionError("bad Sec-WebSocket-Accept")
            ws.response = resp
            ws.deflate = False
        except BaseException:
            ws.close()
            raise
        return ws

    def send_json(self, obj) -> None:
        self.send_text(json.dumps(obj, separators=(",", ":")))

    def read_json(self, timeout: float = 5.0) -> Msg:
        return json.loads(self.read_message(timeout).payload)

    def read_json_until(self, pred, timeout: float = 5.0) -> List[Msg]:
        """Messages up to and including the first that matches pred."""
        deadline = deadline_in(timeout)
        out = []
        while True:
            # read_message scales its timeout: hand it the time left, unscaled.
            left = max(remaining(deadline), 0.001) / scaled(1)
            out.append(json.loads(self.read_message(left).payload))
            if pred(out[-1]):
                return out


# ----------------------------------------------------------------------------- durable server


class DurableServer(ConfabServer):
    """A ConfabServer whose data dir (and, once known, port) survive the process, so another
    one can be started on them: pass `data_dir`, and `port` from the previous instance's
    http_port. Telnet is off unless asked for. Logs live in a per-process temp dir."""

    def __init__(self, data_dir: str, port: int = 0, extra_args=(), telnet: bool = False,
                 threads: int = 2):
        super().__init__(extra_args, telnet=telnet, threads=threads)
        self.data_dir = data_dir
        self.port = port

    def start(self, timeout: float = 15.0) -> "DurableServer":
        binary = confab_bin()
        self.tmp = tempfile.mkdtemp(prefix="confab-it-logs-")
        args = [binary, "serve", "--listen", f"127.0.0.1:{self.port}",
                "--telnet-listen", "127.0.0.1:0" if self.telnet else "off",
                "--data-dir", self.data_dir, "--threads", str(self.threads)] + self.extra_args
        self.args = args
        self._stdout = open(os.path.join(self.tmp, "stdout"), "wb")
        self._stderr = open(os.path.join(self.tmp, "stderr"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._stdout,
                                     stderr=self._stderr, cwd=self.tmp)
        deadline = deadline_in(timeout)
        while True:
            m = self.READY_RE.search(self.stdout_text())
            if m:
                self.http_port = int(m.group("http_port"))
                if m.group("telnet") != "off":
                    self.telnet_port = int(m.group("telnet").rsplit(":", 1)[1])
                return self
            if self.proc.poll() is not None or remaining(deadline) <= 0:
                logs = self.logs()
                self.stop(signal.SIGKILL)
                raise ServerStartError(f"confab did not start (exit {self.proc.returncode})\n"
                                       f"args: {args}\nstderr:\n{logs}")
            time.sleep(0.02)

    def kill(self) -> int:
        """SIGKILL, then waits for the exit; the data dir stays."""
        self.proc.kill()
        code = self.proc.wait(timeout=scaled(10))
        self.stop()
        return code


def new_data_dir(test) -> str:
    """A temp data dir removed when `test` ends."""
    d = tempfile.mkdtemp(prefix="confab-it-data-")
    test.addCleanup(shutil.rmtree, d, True)
    return d


def start_durable(test, data_dir: str, port: int = 0, args=(), telnet=False) -> DurableServer:
    """Starts a DurableServer owned by `test` (stopped at cleanup, logs printed on failure)."""
    server = DurableServer(data_dir, port, args, telnet=telnet).start()
    test.addCleanup(server.stop)
    test._servers = getattr(test, "_servers", []) + [server]
    return server


def seqs(msgs: List[Msg]) -> List[int]:
    return [m.get("seq") for m in msgs]


# ----------------------------------------------------------------------------- test case


class V1TestCase(ConfabTestCase):
    """ConfabTestCase with confab.v1 clients that are closed when the test's coroutine ends."""

    async def client(self, nick: str, session: Optional[str] = None,
                     port: Optional[int] = None) -> V1Client:
        c = await V1Client.connect(port or self.server.http_port, nick, session)
        self._clients.append(c)
        return c

    def run_v1(self, make_coro, timeout: float = 30):
        """Runs make_coro() on a fresh loop; every client opened with client() is closed after,
        pass or fail."""
        async def wrapper():
            self._clients = []
            try:
                return await make_coro()
            finally:
                for c in self._clients:
                    await c.close()
        return run_async(wrapper(), timeout)
