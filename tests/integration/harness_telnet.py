"""A line-oriented telnet client (RFC 854) that strips IAC negotiation from what it reads."""

import os
from typing import List, NamedTuple, Optional, Tuple

from harness_net import RawConn, deadline_in


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
