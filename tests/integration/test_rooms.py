"""Plain rooms at /ws/rooms/{room}: fan-out to every member including the sender, isolation
between rooms, room-name validation, and the bounded send queue of a slow consumer."""

import asyncio
import os
import time
import unittest

import websockets

from confab_harness import (OP_BINARY, ConfabTestCase, build_request, deadline_in,
                            new_ws_key, read_http_response, run_async, ws_handshake_headers)


class RoomCase(ConfabTestCase):

    def url(self, room):
        return self.server.ws_url("/ws/rooms/" + room)

    async def join(self, room, **kw):
        """Connects and waits until the member provably receives room traffic (its own
        marker comes back), so later messages cannot race the join."""
        kw.setdefault("open_timeout", 5)
        kw.setdefault("close_timeout", 2)
        kw.setdefault("max_size", 4 << 20)
        ws = await websockets.connect(self.url(room), **kw)
        marker = "joined " + os.urandom(6).hex()
        await ws.send(marker)
        while True:
            got = await asyncio.wait_for(ws.recv(), 5)
            if got == marker:
                return ws

    async def recv_chat(self, ws, timeout=5):
        """The next message that is not a join marker (members see later members join)."""
        while True:
            m = await asyncio.wait_for(ws.recv(), timeout)
            if not (isinstance(m, str) and m.startswith("joined ")):
                return m

    async def recv_until(self, ws, want, timeout=5):
        """Messages received until `want` (inclusive)."""
        out = []
        while True:
            m = await asyncio.wait_for(ws.recv(), timeout)
            out.append(m)
            if m == want:
                return out


class RoomFanOut(RoomCase):

    def test_single_member_receives_its_own_message(self):
        async def go():
            ws = await self.join("solo")
            await ws.send("talking to myself")
            self.assertEqual(await asyncio.wait_for(ws.recv(), 5), "talking to myself")
            await ws.close()
        run_async(go())

    def test_every_member_receives_every_message_in_sender_order(self):
        async def go():
            members = [await self.join("trio") for _ in range(3)]
            for round_ in range(20):
                for i, ws in enumerate(members):
                    await ws.send(f"m{i}-{round_}")
            for ws in members:
                got = [await self.recv_chat(ws) for _ in range(60)]
                self.assertEqual(sorted(got), sorted(f"m{i}-{r}" for i in range(3)
                                                     for r in range(20)))
                for i in range(3):
                    mine = [g for g in got if g.startswith(f"m{i}-")]
                    self.assertEqual(mine, [f"m{i}-{r}" for r in range(20)],
                                     "messages of one sender arrived out of order")
            for ws in members:
                await ws.close()
        run_async(go())

    def test_binary_and_text_are_delivered_verbatim_with_type(self):
        async def go():
            a = await self.join("verbatim")
            b = await self.join("verbatim", compression=None)
            blob = os.urandom(5000)
            text = '{"nick":"x","text":"not parsed by plain rooms ☃"}'
            await a.send(blob)
            await a.send(text)
            for ws in (a, b):
                self.assertEqual(await self.recv_chat(ws), blob)
                self.assertEqual(await self.recv_chat(ws), text)
            await a.close()
            await b.close()
        run_async(go())

    def test_deflate_and_plain_members_receive_the_same_message(self):
        async def go():
            z = await self.join("mixed", compression="deflate")
            p = await self.join("mixed", compression=None)
            self.assertTrue(z.extensions)
            self.assertFalse(p.extensions)
            msgs = [("compressible " * 500), os.urandom(3000), "short"]
            for sender in (p, z):  # one sender at a time: no cross-sender order is promised
                for m in msgs:
                    await sender.send(m)
                for ws in (z, p):
                    got = [await self.recv_chat(ws) for _ in range(3)]
                    self.assertEqual(got, msgs, "deflate/plain members got different bytes")
            await z.close()
            await p.close()
        run_async(go())

    def test_twenty_members_each_receive_fifty_messages(self):
        async def go():
            members = [await self.join("crowd", compression=None) for _ in range(20)]
            # Earlier members also hold the later members' join markers; recv_until skips them.
            sender = members[0]
            sent = [f"broadcast {i}" for i in range(50)]
            for m in sent:
                await sender.send(m)
            for ws in members:
                got = [m for m in await self.recv_until(ws, sent[-1]) if m.startswith("broadcast")]
                self.assertEqual(got, sent)
            for ws in members:
                await ws.close()
        run_async(go(), timeout=40)

    def test_members_keep_receiving_after_another_member_leaves(self):
        async def go():
            a = await self.join("churn")
            b = await self.join("churn")
            c = await self.join("churn")
            await b.close()
            await c.send("after b left")
            for ws in (a, c):
                got = await self.recv_until(ws, "after b left")
                self.assertEqual(got[-1], "after b left")
            d = await self.join("churn")
            await a.send("welcome d")
            for ws in (a, c, d):
                self.assertIn("welcome d", await self.recv_until(ws, "welcome d"))
            for ws in (a, c, d):
                await ws.close()
        run_async(go())

    def test_abruptly_disconnected_member_does_not_disturb_the_room(self):
        async def go():
            a = await self.join("abrupt")
            b = await self.join("abrupt")
            b.transport.abort()  # TCP RST, no close handshake
            for i in range(20):
                await a.send(f"still here {i}")
            got = await self.recv_until(a, "still here 19")
            self.assertEqual([g for g in got if g.startswith("still here")],
                             [f"still here {i}" for i in range(20)])
            await a.close()
        run_async(go())


class RoomIsolation(RoomCase):

    def test_messages_stay_in_their_room(self):
        rooms = [f"iso-{i}" for i in range(8)] + ["iso-1/sub", "iso-1:x"]

        async def go():
            members = {r: [await self.join(r, compression=None) for _ in range(2)] for r in rooms}
            for r, (a, b) in members.items():
                await a.send(f"from {r} a")
                await b.send(f"from {r} b")
            for r, pair in members.items():
                for ws in pair:
                    await ws.send(f"done {r}")
            for r, pair in members.items():
                for ws in pair:
                    got = []
                    while got.count(f"done {r}") < 2:
                        got.append(await asyncio.wait_for(ws.recv(), 5))
                    chat = sorted(g for g in got if g.startswith("from "))
                    self.assertEqual(chat, [f"from {r} a", f"from {r} b"],
                                     f"member of {r} saw foreign traffic")
            for pair in members.values():
                for ws in pair:
                    await ws.close()
        run_async(go(), timeout=40)

    def test_room_names_are_case_sensitive(self):
        async def go():
            lower = await self.join("casey")
            upper = await self.join("CASEY")
            await upper.send("upper only")
            await lower.send("lower only")
            self.assertEqual(await self.recv_chat(lower), "lower only")
            self.assertEqual(await self.recv_chat(upper), "upper only")
            await lower.close()
            await upper.close()
        run_async(go())


class RoomNames(RoomCase):

    def status_for(self, path):
        conn = self.connect()
        conn.send(build_request("GET", path, self.server.http_port,
                                ws_handshake_headers(new_ws_key())))
        resp = read_http_response(conn, deadline_in(5), expect_body=False)
        self.assertIsNotNone(resp, f"no response for {path}")
        return resp.status

    def test_valid_room_names_upgrade(self):
        for name in ["a", "lobby", "A-Z_0.9:x/y", "team/dev:1.x_y-z", "r" * 128]:
            with self.subTest(name=name):
                self.assertEqual(self.status_for("/ws/rooms/" + name), 101)

    def test_invalid_room_names_are_400(self):
        for name in ["", "r" * 129, "has%20space", "bang!", "semi;colon", "%C3%A9t%C3%A9",
                     "quote%22", "tab%09"]:
            with self.subTest(name=name):
                self.assertEqual(self.status_for("/ws/rooms/" + name), 400)


class SlowConsumer(RoomCase):
    QUEUE_LIMIT = 32
    server_args = ("--send-queue-limit", str(QUEUE_LIMIT), "--max-message-size", str(1 << 20))

    N = 800            # 800 x 16 KiB = 12.5 MiB: far beyond kernel buffers + queue
    SIZE = 16 * 1024
    WINDOW = 8         # fast readers are never more than this many messages behind

    def test_slow_consumer_is_closed_with_1013_while_others_receive_everything(self):
        room = "/ws/rooms/flood"
        slow = self.ws_raw(room, rcvbuf=4096)
        slow.send_text(b"slow joined")
        self.assertEqual(slow.read_message().payload, b"slow joined")
        # From here on the slow member never reads until the flood is over.
        filler = os.urandom(self.SIZE - 8)
        n, window = self.N, self.WINDOW

        async def go():
            sender = await self.join("flood", compression=None, max_queue=None)
            reader = await self.join("flood", compression=None, max_queue=None)
            counts = {"sender": 0, "reader": 0}
            seen = {"sender": [], "reader": []}
            progress = asyncio.Event()

            async def drain(name, ws):
                while counts[name] < n:
                    m = await ws.recv()
                    if isinstance(m, str):
                        continue  # join markers
                    seen[name].append(int(m[:8]))
                    counts[name] += 1
                    progress.set()

            tasks = [asyncio.create_task(drain("sender", sender)),
                     asyncio.create_task(drain("reader", reader))]
            start = time.monotonic()
            for i in range(n):
                await sender.send(b"%08d" % i + filler)
                while i + 1 - min(counts.values()) > window:
                    for t in tasks:
                        if t.done():
                            t.result()  # a fast member was cut off: raise its error
                    progress.clear()
                    try:
                        await asyncio.wait_for(progress.wait(), 10)
                    except asyncio.TimeoutError:
                        self.fail(f"fast members stalled at {counts} after {i + 1} sends")
            await asyncio.wait_for(asyncio.gather(*tasks), 20)
            for name in seen:
                self.assertEqual(seen[name], list(range(n)), f"{name} missed or reordered")
            await sender.close()
            await reader.close()
            return time.monotonic() - start

        run_async(go(), timeout=60)

        # Now the slow member reads: some messages, then the end of the connection.
        got = 0
        try:
            r = slow.read_until_close(timeout=20, allow_truncated=True)
        except TimeoutError:
            self.fail("the slow consumer was never disconnected (unbounded queue?)")
        got = sum(1 for f in r.frames if f.opcode == OP_BINARY)
        self.assertLess(got, n, "the slow consumer received every message: no bound applied")
        if r.close is not None:
            self.assertEqual(r.code, 1013, f"slow consumer closed with {r.code}")
            slow.send_close(1013)
        self.assertTrue(slow.wait_closed(10), "TCP not closed after the slow-consumer Close")

        async def after():
            # The room is still usable by new members once the slow one is gone.
            a = await self.join("flood")
            b = await self.join("flood")
            await a.send("still fine")
            self.assertIn("still fine", await self.recv_until(b, "still fine"))
            await a.close()
            await b.close()
        run_async(after())


if __name__ == "__main__":
    unittest.main()
