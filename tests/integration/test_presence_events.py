"""presence/{room}: every join and leave of a room's members, from every front end, is a
stored QoS 1 event that a backend can follow and resume — including peers the server drops
because they stopped answering pings (docs/http-api.md, "Subscriber gone, subscriber here")."""
import json
import time
import unittest
import urllib.request

from confab_harness import ConfabServer, deadline_in, RawWebSocket
from harness_v1 import V1TestCase, unique


class PresenceEvents(V1TestCase):
    server_args = ("--ping-interval", "300ms", "--pong-timeout", "300ms")
    server_telnet = True

    def events(self, msgs):
        return [(m["data"]["event"], m["data"]["member"]["nick"], m["data"]["member"]["via"])
                for m in msgs]

    def test_joins_and_leaves_from_every_front_end_are_stored_events(self):
        room = unique("pres")

        async def go():
            watcher = await self.client("watcher")
            await watcher.join("presence/" + room)
            alice = await self.client("alice")
            await alice.join(room)
            tel = self.telnet_client(nick="tina")
            tel.send_line(f"/join {room}")
            await alice.reply({"type": "leave", "room": room}, "left")
            tel.send_line("/quit")
            got = self.events(await watcher.msgs("presence/" + room, 4))
            self.assertEqual(got[0], ("join", "alice", "ws"))
            self.assertIn(("join", "tina", "telnet"), got)
            self.assertIn(("leave", "alice", "ws"), got)
            self.assertIn(("leave", "tina", "telnet"), got)
        self.run_v1(go)

    def test_a_peer_dropped_by_the_ping_timeout_is_announced_as_left(self):
        room = unique("dead")

        async def go():
            watcher = await self.client("watcher")
            await watcher.join("presence/" + room)
            # A plain-room member that completes the handshake, then never answers a ping.
            silent = self.ws_raw(f"/ws/rooms/{room}")
            joined = await watcher.msgs("presence/" + room, 1)
            self.assertEqual(joined[0]["data"]["event"], "join")
            nick = joined[0]["data"]["member"]["nick"]
            started = time.monotonic()
            left = await watcher.msgs("presence/" + room, 1, timeout=5)
            self.assertEqual(self.events(left), [("leave", nick, "ws")])
            self.assertLess(time.monotonic() - started, 3.0, "dead peer noticed too late")
            del silent
        self.run_v1(go)

    def test_a_backend_can_read_the_events_over_http_and_resume_after_a_seq(self):
        room = unique("http")

        async def go():
            a = await self.client("a")
            await a.join(room)
            await a.reply({"type": "leave", "room": room}, "left")
            url = f"http://127.0.0.1:{self.server.http_port}/api/rooms/presence/{room}/messages"
            deadline = deadline_in(5)
            while True:
                body = json.loads(urllib.request.urlopen(url, timeout=5).read())
                if len(body["messages"]) >= 2 or time.monotonic() > deadline:
                    break
            self.assertEqual([m["data"]["event"] for m in body["messages"]], ["join", "leave"])
            self.assertEqual([m["seq"] for m in body["messages"]], [1, 2])
            after = json.loads(urllib.request.urlopen(url + "?after=1", timeout=5).read())
            self.assertEqual([m["seq"] for m in after["messages"]], [2])
            # What OpenAPI clients send: the '/' in the room name escaped.
            escaped = url.replace(f"presence/{room}", f"presence%2F{room}")
            same = json.loads(urllib.request.urlopen(escaped, timeout=5).read())
            self.assertEqual(same["messages"], body["messages"])
        self.run_v1(go)

    def test_presence_feeds_are_not_announced_again(self):
        room = unique("feed")

        async def go():
            meta = await self.client("meta")
            await meta.join("presence/presence/" + room)
            w = await self.client("w")
            await w.join("presence/" + room)
            await w.reply({"type": "ping", "ref": "sync"}, "pong")
            await meta.reply({"type": "ping", "ref": "sync"}, "pong")
            self.assertFalse([m for m in meta.pop_all() if m["type"] == "msg"])
        self.run_v1(go)


class PresenceInLargeRooms(V1TestCase):
    # Joins and leaves reach a room's members only while it has at most this many members
    # (per loop: one loop here, so the count is the room's): a room of N would otherwise cost
    # N²/2 frames when everyone (re)joins.
    @classmethod
    def setUpClass(cls):
        cls.server = ConfabServer(("--presence-limit", "2"), telnet=False, threads=1).start()

    def test_members_stop_hearing_joins_past_the_limit_but_the_feed_has_all(self):
        room = unique("big")

        async def go():
            feed = await self.client("feed")
            await feed.join("presence/" + room)
            first = await self.client("first")
            await first.join(room)
            second = await self.client("second")
            await second.join(room)  # 2 members: announced to the room
            await first.sync_room(room)

            def joins_heard():
                return [m["member"]["nick"] for m in first.pop_all()
                        if m["type"] == "presence" and m.get("event") == "join"]
            self.assertEqual(joins_heard(), ["first", "second"])  # its own join, then second's
            third = await self.client("third")
            await third.join(room)   # 3 members: past the limit, not announced
            await first.sync_room(room)
            self.assertEqual(joins_heard(), [])
            stored = self.events(await feed.msgs("presence/" + room, 3))
            self.assertEqual([nick for _, nick, _ in stored], ["first", "second", "third"])
            members = await first.reply({"type": "members", "room": room}, "members")
            self.assertEqual(sorted(m["nick"] for m in members["members"]),
                             ["first", "second", "third"])
        self.run_v1(go)

    events = PresenceEvents.events


if __name__ == "__main__":
    unittest.main()
