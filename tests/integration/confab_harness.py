"""Harness for confab's integration tests: the real binary, driven by independent peers.

Owns starting/stopping `confab serve` on ephemeral loopback ports with a temp data dir, and the
test-case base class. The wire clients live beside it (harness_net: TCP/HTTP, harness_ws:
RFC 6455 frames and handshake, harness_telnet) and are re-exported here, so tests import
everything from this one module. Every wait takes a deadline; nothing sleeps to "wait for"
an event. Standard library only (tests add Debian's `websockets` 10.4 as a second peer).
"""

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Optional, Tuple

from harness_net import *  # noqa: F401,F403  (re-exported for the tests)
from harness_net import RawConn, deadline_in, remaining, scaled
from harness_telnet import *  # noqa: F401,F403
from harness_telnet import TelnetClient
from harness_ws import *  # noqa: F401,F403
from harness_ws import RawWebSocket

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "build", "release", "src", "confab"))


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
        # Without telnet, say so: the default would bind the fixed port 3030.
        args += ["--telnet-listen", "127.0.0.1:0" if self.telnet else "off"]
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
                # Blame this test, and give the rest of the class a fresh server so one crash
                # does not hide the results of every later test.
                code = server.proc.returncode
                self._servers = getattr(self, "_servers", []) + [server]
                server.stop()
                type(self).server = ConfabServer(self.server_args,
                                                 telnet=self.server_telnet).start()
                self.fail(f"confab exited during this test with code {code}")

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
