"""confab.v1 on /ws: the hello gate, error replies that leave the connection usable, join/leave,
presence and members across WebSocket and telnet, ping, QoS 0 fan-out and the gap-free seqs
of QoS 1 with several publishers."""

import asyncio
import re
import unittest

from confab_harness import (build_request, deadline_in, new_ws_key, read_http_response,
                            ws_handshake_headers)
from harness_v1 import V1Client, V1TestCase, unique

SESSION_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
EPOCH_RE = re.compile(r"[\x20-\x7e]{1,64}")


class V1Case(V1TestCase):

    def assert_usable(self, c: V1Client):
        """A coroutine: the connection still answers a ping with its ref."""
        async def check():
            pong = await c.reply({"type": "ping"}, "pong")
            self.assertEqual(pong["type"], "pong", f"connection not usable after an error: {pong}")
        return check()


class V1Handshake(V1Case):

    def test_ws_without_the_subprotocol_is_refused_with_400(self):
        conn = self.connect()
        port = self.server.http_port
        conn.send(build_request("GET", "/ws", port, ws_handshake_headers(new_ws_key())))
        resp = read_http_response(conn, deadline_in(5))
        self.assertIsNotNone(resp)
        self.assertEqual(resp.status, 400)
        self.assertIn("problem+json", resp.header("Content-Type") or "")

    def test_subprotocol_among_several_is_selected(self):
        conn = self.connect()
        port = self.server.http_port
        headers = ws_handshake_headers(new_ws_key(),
                                       extra=[("Sec-WebSocket-Protocol", "chat, confab.v1")])
        conn.send(build_request("GET", "/ws", port, headers))
        resp = read_http_response(conn, deadline_in(5), expect_body=False)
        self.assertEqual(resp.status, 101)
        self.assertEqual(resp.header("Sec-WebSocket-Protocol"), "confab.v1")


class V1HelloAndErrors(V1Case):

    def test_commands_before_hello_get_no_hello_and_hello_still_works(self):
        async def go():
            c = await V1Client.open(self.server.http_port)
            self._clients.append(c)
            for cmd in ({"type": "join", "room": "lobby"}, {"type": "ping"},
                        {"type": "members", "room": "lobby"},
                        {"type": "pub", "room": "lobby", "id": "x", "data": 1}):
                err = await c.error_for(cmd)
                self.assertEqual(err["code"], "no_hello", f"{cmd} before hello: {err}")
            welcome = await c.hello("alice")
            self.assertEqual(list(welcome)[0], "type")
            self.assertTrue(SESSION_RE.fullmatch(welcome["session"]), welcome)
            self.assertEqual(welcome["nick"], "alice")
            self.assertEqual(welcome["server"], "confab/0.1")
            self.assertIsInstance(welcome["ping_interval_ms"], int)
            self.assertGreater(welcome["max_message_size"], 0)
            await self.assert_usable(c)
            err = await c.error_for({"type": "hello", "nick": "alice"})
            self.assertEqual(err["code"], "bad_request", f"a second hello: {err}")
            await self.assert_usable(c)
            # Nothing unasked-for arrived on the way (e.g. a welcome for the refused commands).
            self.assertEqual([m for m in c.inbox], [])
        self.run_v1(go)

    def test_hello_with_a_session_keeps_that_session(self):
        async def go():
            first = await self.client("alice")
            again = await self.client("alice", session=first.session)
            self.assertEqual(again.session, first.session)
            other = await self.client("alice")
            self.assertNotEqual(other.session, first.session, "two sessions got the same id")
        self.run_v1(go)

    def test_bad_json_reports_the_offset_and_the_connection_stays_usable(self):
        async def go():
            c = await self.client("alice")
            # The protocol document's example: the '}' at byte 15 is where parsing fails.
            err = await c.error_for('{"type":"ping",}')
            self.assertEqual(err["code"], "bad_json", err)
            self.assertEqual(err["offset"], 15, err)
            self.assertIsInstance(err["message"], str)
            err = await c.error_for('{"type":')
            self.assertEqual((err["code"], err["offset"]), ("bad_json", 8), err)
            await self.assert_usable(c)
        self.run_v1(go)

    def test_invalid_commands_get_the_documented_error_code_field_and_ref(self):
        room = unique("errs")
        cases = [
            # (command, code, field: None for absent, or a tuple of what is acceptable)
            ({"type": "PING"}, "unknown_type", ("type", None)),
            ({"type": "teleport", "room": room}, "unknown_type", ("type", None)),
            ({"room": room}, "bad_request", "type"),
            ({"type": 7}, "bad_request", "type"),
            ({"type": "join"}, "bad_request", "room"),
            ({"type": "join", "room": "bad room!"}, "bad_request", "room"),
            ({"type": "join", "room": "/lead"}, "bad_request", "room"),
            ({"type": "join", "room": room, "since": 3}, "bad_request", "epoch"),
            ({"type": "join", "room": room, "epoch": "e1"}, "bad_request", "since"),
            ({"type": "join", "room": room, "since": 1.0, "epoch": "e1"}, "bad_request", "since"),
            ({"type": "join", "room": room, "since": -1, "epoch": "e1"}, "bad_request", "since"),
            ({"type": "join", "room": room, "history": 1001}, "bad_request", "history"),
            ({"type": "join", "room": room, "history": "5"}, "bad_request", "history"),
            ({"type": "leave"}, "bad_request", "room"),
            ({"type": "members"}, "bad_request", "room"),
            ({"type": "pub", "room": room, "data": 1}, "bad_request", "id"),
            ({"type": "pub", "room": room, "id": "x"}, "bad_request", "data"),
            ({"type": "pub", "room": room, "id": "x", "data": 1, "qos": 2}, "bad_request", "qos"),
            ({"type": "pub", "room": room, "id": "x", "data": 1, "qos": "1"}, "bad_request",
             "qos"),
            ({"type": "pub", "room": room, "id": "", "data": 1}, "bad_request", "id"),
            ({"type": "pub", "room": room, "id": "x", "data": 1, "ttl_ms": 500}, "bad_request",
             "ttl_ms"),
            ({"type": "pub", "room": room, "qos": 0, "data": 1, "ttl_ms": 0}, "bad_request",
             "ttl_ms"),
        ]

        async def go():
            c = await self.client("alice")
            for i, (cmd, code, field) in enumerate(cases):
                with self.subTest(cmd=cmd):
                    ref = f"ref-{i}"
                    err = await c.error_for(dict(cmd, ref=ref))
                    self.assertEqual(err["code"], code, err)
                    if isinstance(field, tuple):
                        self.assertIn(err.get("field"), field, err)
                    else:
                        self.assertEqual(err.get("field"), field, err)
                    self.assertEqual(err.get("ref"), ref, err)
                    await self.assert_usable(c)
            for raw, code in (("[1,2]", "bad_request"), ('"ping"', "bad_request"),
                              ("null", "bad_request")):
                with self.subTest(raw=raw):
                    self.assertEqual((await c.error_for(raw))["code"], code)
            # The connection was never closed by any of it; a join still works.
            joined = await c.join(room)
            self.assertEqual(joined["room"], room)
        self.run_v1(go)

    def test_binary_frame_is_a_bad_request_and_the_connection_stays_usable(self):
        async def go():
            c = await self.client("alice")
            err = await c.error_for(b'{"type":"ping"}')
            self.assertEqual(err["code"], "bad_request", err)
            await self.assert_usable(c)
            self.assertFalse(c.closed.is_set())
        self.run_v1(go)


class V1Rooms(V1Case):

    def test_join_leave_left_and_not_joined(self):
        room = unique("jl")

        async def go():
            a = await self.client("alice")
            b = await self.client("bob")
            joined = await a.reply({"type": "join", "room": room, "ref": "j1"}, "joined")
            self.assertEqual(joined["type"], "joined", joined)
            self.assertEqual((joined["room"], joined["ref"], joined["last_seq"],
                              joined["recovered"]), (room, "j1", 0, False))
            # A fresh join of an empty room: "no_since" and "empty" both describe it.
            self.assertIn(joined["reason"], ("no_since", "empty"))
            err = await a.error_for({"type": "join", "room": room})
            self.assertEqual(err["code"], "bad_request", f"joining twice: {err}")

            await b.join(room)
            await b.publish(room, "b1", {"text": "one"})
            got = (await a.msgs(room, 1))[0]
            self.assertEqual((got["id"], got["seq"]), ("b1", 1))

            left = await a.reply({"type": "leave", "room": room, "ref": "l1"}, "left")
            self.assertEqual(left, {"type": "left", "room": room, "ref": "l1"})
            err = await a.error_for({"type": "leave", "room": room})
            self.assertEqual(err["code"], "not_joined", err)
            err = await a.error_for({"type": "pub", "room": room, "id": "a1", "data": 1})
            self.assertEqual(err["code"], "not_joined", err)
            # After leaving, the room's traffic stops.
            await b.publish(room, "b2", {"text": "two"})
            await b.publish(room, "b3", {"text": "three"}, qos=1)
            await b.send({"type": "pub", "room": room, "qos": 0, "data": "q0"})
            await b.sync()
            await a.sync()
            self.assertEqual([m for m in a.inbox if m.get("room") == room and
                              m["type"] == "msg"], [], "a member that left still gets msgs")

            # Joining again works; what it replays is test_join_without_since_replays_nothing's.
            joined = await a.join(room)
            self.assertEqual((joined["recovered"], joined["reason"], joined["last_seq"]),
                             (False, "no_since", 3))
            self.assertTrue(EPOCH_RE.fullmatch(joined["epoch"]), joined)
        self.run_v1(go)

    def test_join_without_since_or_history_replays_nothing(self):
        # history defaults to 0: a plain join starts with live messages only.
        room = unique("plain")

        async def go():
            p = await self.client("pub")
            await p.join(room)
            for k in range(3):
                await p.publish(room, f"m{k}", k)
            for fields in ({}, {"history": 0}):
                with self.subTest(fields=fields):
                    c = await self.client("late")
                    joined = await c.join(room, **fields)
                    self.assertEqual((joined["last_seq"], joined["reason"]), (3, "no_since"))
                    await c.sync()
                    self.assertEqual([m["seq"] for m in c.inbox if m["type"] == "msg"], [],
                                     f"join {fields} replayed stored messages")
        self.run_v1(go)

    def test_presence_and_members_list_ws_and_telnet_members(self):
        room = unique("pres")

        async def go():
            a = await self.client("alice")
            b = await self.client("bob")
            await a.join(room)
            await b.join(room)
            ev = await a.take(lambda m: m["type"] == "presence" and m["event"] == "join"
                              and m["member"]["nick"] == "bob", what="presence of bob")
            self.assertEqual(ev, {"type": "presence", "room": room, "event": "join",
                                  "member": {"nick": "bob", "session": b.member_id, "via": "ws"}})

            carol = self.telnet_client(nick="carol")
            carol.command(f"/join {room}")
            ev = await a.take(lambda m: m["type"] == "presence" and m["room"] == room
                              and m["event"] == "join" and m["member"]["via"] == "telnet",
                              what="presence of the telnet member")
            self.assertEqual(ev["member"]["nick"], "carol")
            # (its session is test_telnet_members_have_an_empty_session's)

            listed = await a.reply({"type": "members", "room": room, "ref": "m1"}, "members")
            self.assertEqual(listed["type"], "members", listed)
            self.assertEqual((listed["room"], listed["ref"]), (room, "m1"))
            members = sorted(listed["members"], key=lambda m: m["nick"])
            self.assertEqual(members[:2], [{"nick": "alice", "session": a.member_id, "via": "ws"},
                                           {"nick": "bob", "session": b.member_id, "via": "ws"}])
            self.assertEqual(len(members), 3, members)
            self.assertEqual((members[2]["nick"], members[2]["via"]), ("carol", "telnet"))

            await b.reply({"type": "leave", "room": room}, "left")
            ev = await a.take_type("presence", room=room, event="leave")
            self.assertEqual(ev["member"], {"nick": "bob", "session": b.member_id, "via": "ws"})
            carol.command("/join elsewhere-" + room)
            ev = await a.take_type("presence", room=room, event="leave")
            self.assertEqual((ev["member"]["nick"], ev["member"]["via"]), ("carol", "telnet"))
            # A connection that just goes away leaves every room it was in.
            c = await self.client("dave")
            await c.join(room)
            await a.take(lambda m: m["type"] == "presence" and m["event"] == "join"
                         and m["member"]["nick"] == "dave", what="presence of dave")
            await c.close()
            ev = await a.take_type("presence", room=room, event="leave")
            self.assertEqual(ev["member"]["nick"], "dave")

            listed = await a.reply({"type": "members", "room": room}, "members")
            self.assertEqual(listed["members"],
                             [{"nick": "alice", "session": a.member_id, "via": "ws"}])
        self.run_v1(go)

    def test_telnet_members_have_a_telnet_session_also_on_their_lines(self):
        # protocol.md: telnet members appear with via:"telnet" and the session telnet-<n>;
        # their lines carry the same from.session.
        room = unique("tsess")

        async def go():
            a = await self.client("alice")
            await a.join(room)
            erin = self.telnet_client(nick="erin")
            erin.command(f"/join {room}")
            ev = await a.take(lambda m: m["type"] == "presence" and m["member"]["nick"] == "erin",
                              what="presence of erin")
            session = ev["member"]["session"]
            self.assertRegex(session, r"^telnet-[0-9]+$")
            self.assertEqual(ev["member"], {"nick": "erin", "session": session, "via": "telnet"})
            listed = await a.reply({"type": "members", "room": room}, "members")
            self.assertIn({"nick": "erin", "session": session, "via": "telnet"}, listed["members"])
            erin.send_line("from erin")
            line = (await a.msgs(room, 1))[0]
            self.assertEqual(line["from"], {"nick": "erin", "session": session, "via": "telnet"})
            # Another telnet connection gets another session.
            fred = self.telnet_client(nick="fred")
            fred.command(f"/join {room}")
            ev = await a.take(lambda m: m["type"] == "presence" and m["member"]["nick"] == "fred",
                              what="presence of fred")
            self.assertRegex(ev["member"]["session"], r"^telnet-[0-9]+$")
            self.assertNotEqual(ev["member"]["session"], session)
        self.run_v1(go)

    def test_ping_is_answered_with_pong_echoing_the_ref(self):
        async def go():
            c = await self.client("alice")
            await c.send({"type": "ping", "ref": "k1"})
            self.assertEqual(await c.take_type("pong"), {"type": "pong", "ref": "k1"})
            await c.send({"type": "ping"})
            self.assertEqual(await c.take_type("pong"), {"type": "pong"})
        self.run_v1(go)


class V1Delivery(V1Case):

    def test_qos0_reaches_every_member_without_seq_or_ack(self):
        room = unique("q0")

        async def go():
            a = await self.client("alice")
            b = await self.client("bob")
            await a.join(room)
            await b.join(room)
            await a.send({"type": "pub", "room": room, "qos": 0, "data": {"x": 10, "y": 20}})
            await a.send({"type": "pub", "room": room, "qos": 0, "id": "cur-1", "data": None})
            for member in (b, a):  # the publisher is a member too: it gets its own msgs
                first, second = await member.msgs(room, 2)
                self.assertEqual(first["qos"], 0)
                self.assertNotIn("seq", first)
                self.assertNotIn("id", first)
                self.assertEqual(first["from"],
                                 {"nick": "alice", "session": a.member_id, "via": "ws"})
                self.assertEqual(first["data"], {"x": 10, "y": 20})
                self.assertIsInstance(first["ts"], int)
                self.assertEqual((second["qos"], second["id"], second["data"]),
                                 (0, "cur-1", None))
                self.assertNotIn("seq", second)
            await a.sync()
            self.assertEqual([m for m in a.inbox if m["type"] == "ack"], [], "qos 0 was acked")
            # QoS 0 is never stored: a later join with history gets nothing of it.
            c = await self.client("carol")
            joined = await c.join(room, history=10)
            self.assertEqual(joined["last_seq"], 0)
            await c.sync()
            self.assertEqual([m for m in c.inbox if m["type"] == "msg"], [])
        self.run_v1(go)

    def test_qos1_publisher_gets_its_msg_then_the_ack(self):
        room = unique("q1")

        async def go():
            a = await self.client("alice")
            await a.join(room)
            await a.send({"type": "pub", "room": room, "id": "c-7", "data": {"text": "hi \"all\""}})
            ack = await a.take_type("ack")
            self.assertEqual(ack, {"type": "ack", "room": room, "id": "c-7", "seq": 1,
                                   "duplicate": False})
            types = [m["type"] for m in a.log if m["type"] in ("msg", "ack")]
            self.assertEqual(types, ["msg", "ack"], "the publisher's msg must precede its ack")
            msg = (await a.msgs(room, 1))[0]
            self.assertEqual(msg["seq"], 1)
            self.assertEqual(msg["qos"], 1)
            self.assertEqual(msg["id"], "c-7")
            self.assertEqual(msg["from"], {"nick": "alice", "session": a.member_id, "via": "ws"})
            self.assertEqual(msg["data"], {"text": "hi \"all\""})
        self.run_v1(go)

    def test_qos1_seqs_strictly_increase_without_gaps_across_publishers(self):
        room = unique("seqs")
        per_pub, n_pubs = 40, 3

        async def go():
            pubs = [await self.client(f"pub{i}") for i in range(n_pubs)]
            sub = await self.client("sub")
            for c in pubs + [sub]:
                await c.join(room)

            async def publish_all(i, c):
                for k in range(per_pub):  # pipelined: no wait for acks in between
                    await c.send({"type": "pub", "room": room, "id": f"p{i}-{k}",
                                  "data": {"k": k}})
                acks = []
                for k in range(per_pub):
                    ack = await c.take_type("ack", 10)
                    acks.append(ack)
                return acks

            results = await asyncio.gather(*(publish_all(i, c) for i, c in enumerate(pubs)))
            total = per_pub * n_pubs
            seq_of = {}
            for i, acks in enumerate(results):
                self.assertEqual([a["id"] for a in acks], [f"p{i}-{k}" for k in range(per_pub)],
                                 "acks of one connection out of order")
                self.assertTrue(all(a["duplicate"] is False for a in acks))
                own = [a["seq"] for a in acks]
                self.assertEqual(own, sorted(own), "one publisher's messages stored out of order")
                seq_of.update({a["id"]: a["seq"] for a in acks})
            self.assertEqual(sorted(seq_of.values()), list(range(1, total + 1)),
                             "acked seqs are not exactly 1..N")
            for member in [sub] + pubs:
                got = await member.msgs(room, total)
                self.assertEqual([m["seq"] for m in got], list(range(1, total + 1)),
                                 f"{member.label} saw seqs out of order, with gaps or twice")
                self.assertEqual({m["id"]: m["seq"] for m in got}, seq_of)
            await sub.sync()
            self.assertEqual([m for m in sub.inbox if m["type"] == "msg"], [], "extra msgs")
        self.run_v1(go)

    def test_telnet_lines_are_qos1_msgs_in_the_same_seq_space(self):
        room = unique("tn")

        async def go():
            a = await self.client("alice")
            await a.join(room)
            dave = self.telnet_client(nick="dave")
            dave.command(f"/join {room}")
            await a.take(lambda m: m["type"] == "presence" and m["member"]["nick"] == "dave")
            ack = await a.publish(room, "a1", {"text": "hi dave"})
            line, _ = dave.wait_contains("hi dave")
            self.assertEqual(line.text, "[alice]: hi dave")
            dave.send_line("hello there")
            got = await a.msgs(room, 2)
            self.assertEqual(got[0]["seq"], ack["seq"])
            tmsg = got[1]
            self.assertEqual(tmsg["seq"], ack["seq"] + 1)
            self.assertEqual(tmsg["qos"], 1)
            self.assertEqual(tmsg["from"]["nick"], "dave")
            self.assertEqual(tmsg["data"], {"text": "hello there"})
            # Stored: a later joiner finds it in the history.
            b = await self.client("bob")
            await b.join(room, history=1)
            replay = await b.msgs(room, 1)
            self.assertEqual((replay[0]["seq"], replay[0]["data"]),
                             (tmsg["seq"], {"text": "hello there"}))
        self.run_v1(go)


if __name__ == "__main__":
    unittest.main()
