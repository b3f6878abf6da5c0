"""Telnet chat: commands, room isolation, telnet <-> WebSocket bridging in one room, IAC
negotiation and over-long lines. Raw sockets on both sides."""

import json
import os
import re
import time
import unittest

from confab_harness import (IAC, DO, OP_TEXT, SB, SE, WILL, ConfabTestCase, TelnetClient)

NAWS, ECHO, SGA = 31, 1, 3


class TelnetCase(ConfabTestCase):

    def ws_member(self, room="lobby"):
        """A raw WebSocket room member, returned once it provably receives room traffic."""
        ws = self.ws_raw("/ws/rooms/" + room)
        marker = b"ws joined " + os.urandom(4).hex().encode()
        ws.send_text(marker)
        while ws.read_message(auto_pong=True).payload != marker:
            pass
        return ws

    def ws_next_text(self, ws, skip_prefix=b"ws joined "):
        while True:
            msg = ws.read_message(auto_pong=True)
            if not msg.payload.startswith(skip_prefix):
                self.assertEqual(msg.opcode, OP_TEXT)
                return msg.payload.decode("utf-8")


class TelnetCommands(TelnetCase):

    def test_greeting_is_sent_on_connect(self):
        tc = TelnetClient.connect(self.server.telnet_port)
        self.addCleanup(tc.close)
        greeting = tc.wait_greeting()
        self.assertTrue(greeting.text.strip())

    def test_nick_command_confirms_with_star_line(self):
        tc = self.telnet_client()
        line = tc.set_nick("bob")
        self.assertTrue(line.text.startswith("* "))
        self.assertIn("bob", line.text)

    def test_default_nick_is_guest_id_and_unique(self):
        watcher = self.telnet_client(nick="watcher")
        g1 = self.telnet_client()
        g2 = self.telnet_client()
        g1.send_line("first guest speaks")
        l1, _ = watcher.wait_contains("first guest speaks")
        g2.send_line("second guest speaks")  # after the first: no cross-sender order is promised
        l2, _ = watcher.wait_contains("second guest speaks")
        m1 = re.fullmatch(r"\[(guest-[^\]\s]+)\]: first guest speaks", l1.text)
        m2 = re.fullmatch(r"\[(guest-[^\]\s]+)\]: second guest speaks", l2.text)
        self.assertIsNotNone(m1, l1.text)
        self.assertIsNotNone(m2, l2.text)
        self.assertNotEqual(m1.group(1), m2.group(1), "two guests share a nick")

    def test_chat_line_reaches_others_with_crlf_but_not_the_sender(self):
        a = self.telnet_client(nick="alice")
        b = self.telnet_client(nick="bobby")
        c = self.telnet_client(nick="carol")
        a.send_line("hello room")
        for other in (b, c):
            line, _ = other.wait_contains("hello room")
            self.assertEqual(line.text, "[alice]: hello room")
            self.assertTrue(line.raw.endswith(b"\r\n"), line.raw)
        before = [l.text for l in a.sync()]
        self.assertFalse([t for t in before if "hello room" in t],
                         f"the sender got its own line back: {before}")

    def test_renamed_user_speaks_under_the_new_nick(self):
        a = self.telnet_client(nick="first")
        b = self.telnet_client(nick="listener")
        a.set_nick("second")
        a.send_line("who am i")
        line, _ = b.wait_contains("who am i")
        self.assertEqual(line.text, "[second]: who am i")

    def test_invalid_nick_is_refused_and_old_nick_kept(self):
        a = self.telnet_client(nick="keeper")
        b = self.telnet_client(nick="observer")
        a.send_line("/nick " + "x" * 200)
        reply, _ = a.wait_line(lambda t: t.startswith("* "), what="a reply to a bad /nick")
        a.send_line("still keeper")
        line, _ = b.wait_contains("still keeper")
        self.assertEqual(line.text, "[keeper]: still keeper")

    def test_join_moves_user_to_another_room(self):
        a = self.telnet_client(nick="mover")
        stay = self.telnet_client(nick="stayer")
        witness = self.telnet_client(nick="witness")
        there = self.telnet_client(nick="there")
        there.command("/join den", lambda t: t.startswith("* ") and "den" in t)
        reply, _ = a.command("/join den", lambda t: t.startswith("* ") and "den" in t)
        self.assertIn("joined", reply.text)
        a.send_line("in the den")
        line, _ = there.wait_contains("in the den")
        self.assertEqual(line.text, "[mover]: in the den")
        stay.send_line("back in lobby")
        witness.wait_contains("back in lobby")  # delivered to the lobby by now
        before = [l.text for l in a.sync()]
        self.assertFalse([t for t in before if "back in lobby" in t],
                         "a user who left the lobby still gets lobby lines")

    # /rooms and /who gather from every loop, so their answers may come after the replies
    # to later commands: wait for the answer's content rather than round-tripping.

    def test_rooms_lists_rooms_in_use(self):
        a = self.telnet_client(nick="lister")
        b = self.telnet_client(nick="roomer")
        b.command("/join attic", lambda t: t.startswith("* ") and "attic" in t)
        a.send_line("/rooms")
        line, _ = a.wait_line(lambda t: t.startswith("* ") and "lobby" in t and "attic" in t,
                              what="a /rooms answer naming lobby and attic")

    def test_who_lists_members_of_the_current_room(self):
        a = self.telnet_client(nick="whoasker")
        self.telnet_client(nick="present1")
        away = self.telnet_client(nick="farawayone")
        away.command("/join elsewhere", lambda t: t.startswith("* ") and "elsewhere" in t)
        a.send_line("/who")
        line, _ = a.wait_line(lambda t: t.startswith("* ") and "whoasker" in t
                              and "present1" in t, what="a /who answer naming both members")
        self.assertNotIn("farawayone", line.text)

    def test_help_lists_commands(self):
        a = self.telnet_client(nick="helpme")
        a.send_line("/help")
        line, _ = a.wait_line(lambda t: t.startswith("* ") and "/join" in t,
                              what="/help naming /join")
        text = line.text
        for cmd in ["/nick", "/join", "/rooms", "/who", "/quit"]:
            self.assertIn(cmd, text)

    def test_unknown_command_gets_an_error_and_is_not_broadcast(self):
        a = self.telnet_client(nick="typo")
        b = self.telnet_client(nick="witness")
        reply, _ = a.command("/frobnicate now")
        self.assertTrue(reply.text.startswith("* "))
        a.send_line("after typo")
        line, before = b.wait_contains("after typo")
        self.assertFalse([l.text for l in before if "frobnicate" in l.text])

    def test_quit_closes_the_connection(self):
        for cmd in ["/quit", "$exit"]:
            with self.subTest(cmd=cmd):
                a = self.telnet_client(nick="quitter")
                a.send_line(cmd)
                self.assertTrue(a.wait_closed(5), f"{cmd} did not close the connection")

    def test_bare_lf_line_endings_work(self):
        a = self.telnet_client(nick="unixy")
        b = self.telnet_client(nick="reader")
        a.send_line("lf only", terminator=b"\n")
        line, _ = b.wait_contains("lf only")
        self.assertEqual(line.text, "[unixy]: lf only")

    def test_ten_users_all_see_a_line(self):
        users = [self.telnet_client(nick=f"user{i}") for i in range(10)]
        users[0].send_line("to everyone")
        for u in users[1:]:
            line, _ = u.wait_contains("to everyone")
            self.assertEqual(line.text, "[user0]: to everyone")


class TelnetRobustness(TelnetCase):

    def test_overlong_line_gets_error_and_connection_stays_usable(self):
        a = self.telnet_client(nick="verbose")
        b = self.telnet_client(nick="patient")
        a.send_line("L" * 5000)
        reply, _ = a.wait_line(lambda t: "too long" in t.lower(), what="'too long'")
        a.send_line("short after long")
        line, before = b.wait_contains("short after long")
        self.assertEqual(line.text, "[verbose]: short after long")
        self.assertFalse([l for l in before if "LLLL" in l.text], "part of the long line leaked")

    def test_line_of_exactly_4096_bytes_is_accepted(self):
        a = self.telnet_client(nick="edge")
        b = self.telnet_client(nick="edgewatch")
        text = "E" * 4096
        a.send_line(text)
        line, _ = b.wait_contains("EEEE")
        self.assertEqual(line.text, "[edge]: " + text)

    def test_iac_negotiation_does_not_break_lines(self):
        a = self.telnet_client(nick="negotiator")
        b = self.telnet_client(nick="plainuser")
        a.send(bytes([IAC, DO, ECHO, IAC, WILL, NAWS, IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE]))
        a.send(b"hello " + bytes([IAC, DO, SGA]) + b"iac" + bytes([IAC, 241]) + b"\r\n")  # NOP
        line, _ = b.wait_contains("hello")
        self.assertEqual(line.text, "[negotiator]: hello iac")
        a.send_line("second line")
        line, _ = b.wait_contains("second line")
        self.assertEqual(line.text, "[negotiator]: second line")

    def test_iac_sequence_split_across_writes(self):
        a = self.telnet_client(nick="splitter")
        b = self.telnet_client(nick="joiner")
        a.send(b"sp" + bytes([IAC]))
        time.sleep(0.05)  # two TCP segments, so the server reads them apart; not a wait
        a.send(bytes([DO, ECHO]) + b"lit\r\n")
        line, _ = b.wait_contains("lit")
        self.assertEqual(line.text, "[splitter]: split")

    def test_binary_garbage_leaves_the_connection_and_server_usable(self):
        a = self.telnet_client(nick="noisy")
        b = self.telnet_client(nick="afternoise")
        a.send(bytes(range(256)) * 4 + b"\r\n")
        a.sync()  # noisy is still understood
        a.send_line("server still up")
        line, _ = b.wait_contains("server still up")
        self.assertEqual(line.text, "[noisy]: server still up")


class TelnetWebSocketBridge(TelnetCase):

    def test_telnet_line_reaches_websocket_member_as_json(self):
        ws = self.ws_member("lobby")
        a = self.telnet_client(nick="teller")
        a.send_line("hi from telnet ☃")
        obj = json.loads(self.ws_next_text(ws))
        self.assertEqual(obj.get("nick"), "teller")
        self.assertEqual(obj.get("text"), "hi from telnet ☃")
        self.assertEqual(obj.get("via"), "telnet")

    def test_websocket_json_line_shows_as_nick_line_on_telnet(self):
        t = self.telnet_client(nick="termuser")
        ws = self.ws_member("lobby")
        ws.send_text(json.dumps({"nick": "alice", "text": "hi"}).encode())
        line, _ = t.wait_contains("alice")
        self.assertEqual(line.text, "[alice]: hi")
        self.assertTrue(line.raw.endswith(b"\r\n"))

    def test_websocket_plain_text_shows_as_ws_line(self):
        t = self.telnet_client(nick="termuser2")
        ws = self.ws_member("lobby")
        ws.send_text(b"not json at all")
        line, _ = t.wait_contains("not json at all")
        self.assertEqual(line.text, "[ws]: not json at all")

    def test_websocket_text_cannot_inject_terminal_escapes(self):
        t = self.telnet_client(nick="victim")
        ws = self.ws_member("lobby")
        ws.send_text(json.dumps({"nick": "evil\u001b[2J", "text": "x\u001b[31mred\r\nfake"})
                     .encode())
        line, _ = t.wait_contains("red")
        self.assertNotIn(b"\x1b", line.raw, "ESC reached the telnet user")

    def test_invalid_utf8_from_telnet_reaches_websocket_as_valid_utf8_json(self):
        ws = self.ws_member("lobby")
        a = self.telnet_client(nick="latin1")
        a.send(b"caf\xe9 \xc0\xaf \xed\xa0\x80 end\r\n")  # no 0xFF: that is IAC
        msg = ws.read_message(auto_pong=True)
        while msg.payload.startswith(b"ws joined "):
            msg = ws.read_message(auto_pong=True)
        self.assertEqual(msg.opcode, OP_TEXT)
        text = msg.payload.decode("utf-8")  # raises if the server forwarded invalid UTF-8
        obj = json.loads(text)
        self.assertEqual(obj.get("nick"), "latin1")
        self.assertTrue(obj.get("text", "").startswith("caf"), obj)
        self.assertTrue(obj.get("text", "").endswith("end"), obj)

    def test_conversation_between_telnet_and_websocket_in_a_named_room(self):
        t = self.telnet_client(nick="tel")
        t.command("/join bridge", lambda x: x.startswith("* ") and "bridge" in x)
        ws = self.ws_member("bridge")
        lobby_ws = self.ws_member("lobby")
        t.send_line("ping from telnet")
        obj = json.loads(self.ws_next_text(ws))
        self.assertEqual((obj.get("nick"), obj.get("text"), obj.get("via")),
                         ("tel", "ping from telnet", "telnet"))
        ws.send_text(json.dumps({"nick": "web", "text": "pong from web"}).encode())
        line, _ = t.wait_contains("pong from web")
        self.assertEqual(line.text, "[web]: pong from web")
        # The lobby member heard none of it.
        lobby_ws.send_text(b"lobby sync")
        msg = lobby_ws.read_message(auto_pong=True)
        self.assertEqual(msg.payload, b"lobby sync", "bridge traffic leaked into the lobby")


if __name__ == "__main__":
    unittest.main()
