"""`confab sub | pub | chat` driven as a user would: processes, stdin, exit codes, signals.

A subscriber in the background while `confab pub` runs in a loop and the server is restarted
(SIGTERM, then SIGKILL) sees every message exactly once, in order; pub's exit codes tell a bad
URL, a refused connection and a missing ack apart; chat shows the connection state and obeys
/join, /leave, /who, /quit.
"""

import fcntl
import json
import os
import pty
import shutil
import signal
import socket
import subprocess
import tempfile
import termios
import threading
import time
import unittest
from typing import List, Optional

from confab_harness import (confab_bin, deadline_in, remaining, scaled, ws_accept,
                            encode_frame)


class RestartableServer:
    """`confab serve` on a fixed port and data dir that outlive the process."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="confab-cli-it-")
        self.data = os.path.join(self.tmp, "data")
        os.mkdir(self.data)
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None
        self.runs = 0

    def start(self) -> "RestartableServer":
        self.runs += 1
        out_path = os.path.join(self.tmp, f"stdout.{self.runs}")
        err = open(os.path.join(self.tmp, f"stderr.{self.runs}"), "wb")
        with open(out_path, "wb") as out:
            self.proc = subprocess.Popen(
                [confab_bin(), "serve", "--listen", f"127.0.0.1:{self.port}",
                 "--telnet-listen", "off", "--data-dir", self.data, "--threads", "1"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        err.close()
        deadline = deadline_in(15)
        while remaining(deadline) > 0:
            with open(out_path, "rb") as f:
                text = f.read().decode()
            if "confab ready http=" in text:
                self.port = int(text.split("http=127.0.0.1:")[1].split()[0])
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"confab serve exited: {self.logs()}")
            time.sleep(0.01)  # polling a file for the ready line
        raise AssertionError(f"no ready line: {self.logs()}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=scaled(10))

    def logs(self) -> str:
        text = ""
        for i in range(1, self.runs + 1):
            try:
                with open(os.path.join(self.tmp, f"stderr.{i}"), "rb") as f:
                    text += f"--- run {i}\n" + f.read().decode("utf-8", "replace")
            except FileNotFoundError:
                pass
        return text

    def cleanup(self):
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


class Lines:
    """Collects a process's output stream line by line on a thread; waits take deadlines."""

    def __init__(self, stream):
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for raw in iter(stream.readline, b""):
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()

    def wait_for(self, predicate, timeout: float, what: str) -> List[str]:
        deadline = deadline_in(timeout)
        with self._cond:
            while not predicate(self.lines):
                left = remaining(deadline)
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got:\n" +
                                         "\n".join(self.lines))
                self._cond.wait(left)
            return list(self.lines)

    def wait_line(self, needle: str, timeout: float = 10) -> List[str]:
        return self.wait_for(lambda ls: any(needle in line for line in ls), timeout,
                             repr(needle))

    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)


def run(*args, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([confab_bin(), *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=scaled(timeout))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClientCliCase(unittest.TestCase):

    def setUp(self):
        self.server = RestartableServer().start()
        self.addCleanup(self.server.cleanup)
        self.procs: List[subprocess.Popen] = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            for stream in (p.stdin, p.stdout, p.stderr):
                if stream is not None:
                    stream.close()

    def spawn(self, *args, stdin=subprocess.DEVNULL) -> subprocess.Popen:
        p = subprocess.Popen([confab_bin(), *args], stdin=stdin, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.procs.append(p)
        return p

    def pub(self, room: str, n: int) -> subprocess.Popen:
        return self.spawn("pub", self.server.url, room, json.dumps({"n": n}), "--json",
                          "--timeout", "15s")

    def assert_pub_ok(self, p: subprocess.Popen, n: int):
        out, err = p.communicate(timeout=scaled(20))
        self.assertEqual(p.returncode, 0, f"pub {n}: {err.decode()}\n{self.server.logs()}")
        self.assertIn(b"acked", out)


class SubAndPub(ClientCliCase):

    def test_sub_prints_every_message_once_in_order_across_restarts(self):
        room = "cli-stream"
        sub = self.spawn("sub", self.server.url, room, "--json")
        out, err = Lines(sub.stdout), Lines(sub.stderr)
        err.wait_line("* joined " + room)
        total = 30
        for n in range(total):
            if n in (10, 20):
                # The server goes away between two pubs: SIGTERM first, then a crash. The
                # next pub starts while it is down and must get through once it is back.
                self.server.stop(signal.SIGTERM if n == 10 else signal.SIGKILL)
                p = self.pub(room, n)
                time.sleep(0.2)  # staging, not waiting: let the pub retry a closed port
                self.assertIsNone(p.poll(), "pub gave up while the server was down")
                self.server.start()
                self.assert_pub_ok(p, n)
            else:
                self.assert_pub_ok(self.pub(room, n), n)
        lines = out.wait_for(lambda ls: len(ls) >= total, scaled(15), f"{total} lines")
        sub.send_signal(signal.SIGINT)
        self.assertEqual(sub.wait(timeout=scaled(5)), 0)
        msgs = [json.loads(line) for line in out.lines]
        self.assertEqual([m["data"]["n"] for m in msgs], list(range(total)), lines)
        self.assertEqual([m["seq"] for m in msgs], list(range(1, total + 1)))
        self.assertIn("disconnected", err.text())
        self.assertIn("resumed", err.text())

    def test_sub_since_prints_the_stored_messages_after_it(self):
        room = "cli-since"
        for n in range(1, 4):
            self.assert_pub_ok(self.pub(room, n), n)
        sub = self.spawn("sub", self.server.url, room, "--since", "1")
        out = Lines(sub.stdout)
        lines = out.wait_for(lambda ls: len(ls) >= 2, scaled(10), "two replayed lines")
        self.assertTrue(lines[0].startswith(f"[{room} #2] confab-pub: "), lines)
        self.assertIn('"n":2', lines[0])
        self.assertTrue(lines[1].startswith(f"[{room} #3] "), lines)
        sub.send_signal(signal.SIGTERM)
        self.assertEqual(sub.wait(timeout=scaled(5)), 0)
        self.assertEqual(len(out.lines), 2)

    def test_sub_with_a_bad_url_exits_2(self):
        r = run("sub", "http://127.0.0.1:1/ws", "room")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("invalid URL", r.stderr)


class PubExitCodes(ClientCliCase):

    def test_success_prints_the_ack(self):
        r = run("pub", self.server.url, "codes", "hello")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^acked codes seq 1 id \S+\n$")
        r0 = run("pub", self.server.url, "codes", "fast", "--qos", "0")
        self.assertEqual(r0.returncode, 0, r0.stderr)
        self.assertTrue(r0.stdout.startswith("written codes"), r0.stdout)

    def test_bad_url_and_bad_arguments_exit_2(self):
        for url in ("http://127.0.0.1/ws", "ws://", "wss://127.0.0.1/ws", "ws://h:99999/ws"):
            r = run("pub", url, "room", "x")
            self.assertEqual(r.returncode, 2, f"{url}: {r.stderr}")
            self.assertIn("invalid URL", r.stderr)
        r = run("pub", self.server.url, "bad room!", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid room name", r.stderr)
        r = run("pub", self.server.url, "room", "{not json", "--json")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not one valid JSON value", r.stderr)

    def test_refused_connection_exits_3_after_the_timeout(self):
        port = free_port()
        started = time.monotonic()
        r = run("pub", f"ws://127.0.0.1:{port}/ws", "room", "x", "--timeout", "1s")
        took = time.monotonic() - started
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("could not connect", r.stderr)
        self.assertIn("refused", r.stderr)
        self.assertLess(took, scaled(5))

    def test_silent_server_exits_3_and_no_ack_exits_4(self):
        # A TCP listener that never answers: the handshake cannot finish.
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            port = silent.getsockname()[1]
            r = run("pub", f"ws://127.0.0.1:{port}/ws", "room", "x", "--timeout", "1s")
            self.assertEqual(r.returncode, 3, r.stderr)
        # A fake server that welcomes the client and then never answers anything.
        with socket.socket() as fake:
            fake.bind(("127.0.0.1", 0))
            fake.listen()
            port = fake.getsockname()[1]
            stop = threading.Event()

            def serve():
                conn, _ = fake.accept()
                with conn:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        head += conn.recv(4096)
                    key = [line.split(b":", 1)[1].strip().decode()
                           for line in head.split(b"\r\n")
                           if line.lower().startswith(b"sec-websocket-key:")][0]
                    conn.sendall(
                        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Protocol: confab.v1\r\n"
                        b"Sec-WebSocket-Accept: " + ws_accept(key).encode() + b"\r\n\r\n" +
                        encode_frame(0x1, b'{"type":"welcome","session":"s-fake","nick":"x"}',
                                     mask=False))
                    conn.settimeout(0.1)
                    while not stop.is_set():
                        try:
                            if conn.recv(4096) == b"":
                                break
                        except socket.timeout:
                            pass

            t = threading.Thread(target=serve, daemon=True)
            t.start()
            r = run("pub", f"ws://127.0.0.1:{port}/ws", "room", "x", "--timeout", "1s")
            stop.set()
            t.join(timeout=5)
            self.assertEqual(r.returncode, 4, r.stderr)
            self.assertIn("no ack within 1s", r.stderr)


class Chat(ClientCliCase):

    def test_chat_shows_state_and_obeys_its_commands(self):
        watcher = self.spawn("sub", self.server.url, "lobby")
        seen = Lines(watcher.stdout)
        Lines(watcher.stderr).wait_line("* joined lobby")
        chat = self.spawn("chat", self.server.url, "--room", "lobby", "--nick", "alice",
                          stdin=subprocess.PIPE)
        out = Lines(chat.stdout)

        def say(line: str):
            chat.stdin.write(line.encode() + b"\n")
            chat.stdin.flush()

        out.wait_line("* connected")
        out.wait_line("* you are in lobby")
        say("hello there")
        out.wait_line("[lobby #1] alice: hello there")
        seen.wait_line("[lobby #1] alice: hello there")
        say("/who")
        out.wait_line("* in lobby:")
        who = [line for line in out.lines if line.startswith("* in lobby:")][0]
        self.assertIn("alice (ws)", who)
        self.assertIn("confab-sub (ws)", who)
        say("/join other")
        out.wait_line("* you are in other")
        say("in other")
        out.wait_line("[other #1] alice: in other")
        say("/leave other")
        out.wait_line("* left other")
        out.wait_line("* now talking in lobby")
        # The server restarts: chat says so, reconnects and keeps working.
        self.server.stop()
        out.wait_line("* disconnected")
        self.server.start()
        out.wait_for(lambda ls: sum(1 for line in ls if line == "* connected") >= 2,
                     scaled(10), "a second '* connected'")
        say("after restart")
        out.wait_line("[lobby #2] alice: after restart")
        say("/quit")
        self.assertEqual(chat.wait(timeout=scaled(5)), 0)
        out.wait_line("* bye")
        self.assertNotIn("in other", seen.text(), "the lobby saw another room's line")


class Terminal:
    """`confab chat` on a pseudo-terminal that is its controlling terminal, as in a shell:
    keys go in through the master side (Enter is CR, Ctrl-C and Ctrl-D are the tty's), and
    the screen (echo included) is read back line by line."""

    def __init__(self, *args):
        self.master, slave = pty.openpty()

        def become_foreground_of_the_tty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([confab_bin(), *args], stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True,
                                     preexec_fn=become_foreground_of_the_tty)
        os.close(slave)
        self.screen = Lines(self._screen_stream())

    def _screen_stream(self):
        # Reading the master fails with EIO once the child has gone: that is end of screen.
        master = self.master

        class Stream:
            def readline(self):
                out = b""
                while not out.endswith(b"\n"):
                    try:
                        chunk = os.read(master, 1)
                    except OSError:
                        return out
                    if not chunk:
                        return out
                    out += chunk
                return out.replace(b"\r", b"")
        return Stream()

    def type(self, keys: str):
        os.write(self.master, keys.encode())

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


class ChatInATerminal(ClientCliCase):

    def terminal(self, nick: str) -> Terminal:
        term = Terminal("chat", self.server.url, "--room", "lobby", "--nick", nick)
        self.addCleanup(term.close)
        term.screen.wait_line("* connected")
        term.screen.wait_line("* you are in lobby")
        return term

    def test_typed_lines_are_said_and_a_restart_is_shown_then_ctrl_c_says_bye(self):
        term = self.terminal("bob")
        term.type("hello from a terminal\r")
        term.screen.wait_line("[lobby #1] bob: hello from a terminal")
        term.type("/who\r")
        term.screen.wait_line("* in lobby: bob (ws)")
        self.server.stop()
        term.screen.wait_line("* disconnected")
        self.server.start()
        term.screen.wait_for(lambda ls: sum(1 for line in ls if line == "* connected") >= 2,
                             scaled(10), "a second '* connected'")
        term.type("still here\r")
        term.screen.wait_line("[lobby #2] bob: still here")
        term.type("\x03")  # Ctrl-C: the tty sends SIGINT to the foreground process
        self.assertEqual(term.proc.wait(timeout=scaled(5)), 130)
        term.screen.wait_line("* bye")
        # Every line the terminal echoed was said exactly once.
        said = [line for line in term.screen.lines if line.startswith("[lobby #")]
        self.assertEqual(said, ["[lobby #1] bob: hello from a terminal",
                                "[lobby #2] bob: still here"])

    def test_ctrl_d_on_an_empty_line_ends_the_chat_cleanly(self):
        term = self.terminal("carol")
        term.type("\x04")  # Ctrl-D: end of input
        self.assertEqual(term.proc.wait(timeout=scaled(5)), 0)
        term.screen.wait_line("* bye")


if __name__ == "__main__":
    unittest.main()
