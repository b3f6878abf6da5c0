"""Keepalive: after --ping-interval of silence the server pings; a peer that does not pong
within --pong-timeout is disconnected. Peers that answer stay."""

import asyncio
import time
import unittest

import websockets

from confab_harness import (OP_PING, OP_PONG, OP_TEXT, ConfabTestCase, deadline_in, run_async,
                            scaled)

INTERVAL = 0.3
TIMEOUT = 0.3


class DeadPeers(ConfabTestCase):
    server_args = ("--ping-interval", "300ms", "--pong-timeout", "300ms")

    def test_silent_raw_client_is_pinged_then_disconnected(self):
        ws = self.ws_raw("/ws/echo")
        start = time.monotonic()
        pings = []
        deadline = deadline_in(6)
        while True:
            try:
                f = ws.read_frame(deadline, allow_truncated=True)
            except TimeoutError:
                self.fail(f"silent peer still connected after 6 s (pings seen: {len(pings)})")
            if f is None:
                break
            if f.opcode == OP_PING:
                pings.append(time.monotonic() - start)  # observed, never answered
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(len(pings), 1, "server disconnected without pinging first")
        self.assertGreaterEqual(pings[0], INTERVAL * 0.5, "ping came before the interval")
        self.assertGreaterEqual(elapsed, INTERVAL + TIMEOUT * 0.5,
                                "disconnected before the pong timeout could expire")

    def test_silent_websocket_room_member_is_disconnected(self):
        ws = self.ws_raw("/ws/rooms/keepalive-dead")
        self.assertTrue(ws.wait_closed(6), "silent room member still connected after 6 s")

    def test_raw_client_that_answers_pings_stays_connected(self):
        ws = self.ws_raw("/ws/echo")
        end = time.monotonic() + scaled(INTERVAL * 6 + TIMEOUT)
        pongs = 0
        while time.monotonic() < end:
            try:
                f = ws.read_frame(min(end, deadline_in(1)))
            except TimeoutError:
                continue
            self.assertIsNotNone(f, f"connection closed although we answered {pongs} pings")
            if f.opcode == OP_PING:
                ws.send_frame(OP_PONG, f.payload)
                pongs += 1
        self.assertGreaterEqual(pongs, 2, "server sent too few pings to prove anything")
        ws.send_text(b"still alive")
        msg = ws.read_message(auto_pong=True)
        self.assertEqual((msg.opcode, msg.payload), (OP_TEXT, b"still alive"))

    def test_websockets_client_that_pongs_stays_connected(self):
        async def go():
            async with websockets.connect(self.server.ws_url("/ws/echo"), ping_interval=None,
                                          open_timeout=5, close_timeout=2) as ws:
                # websockets answers pings by itself while the loop runs.
                await asyncio.sleep(scaled(INTERVAL * 6 + TIMEOUT))
                await ws.send("after idle")
                self.assertEqual(await asyncio.wait_for(ws.recv(), 5), "after idle")
        run_async(go())

    def test_websockets_room_member_that_pongs_stays_in_the_room(self):
        async def go():
            url = self.server.ws_url("/ws/rooms/keepalive-live")
            async with websockets.connect(url, ping_interval=None, open_timeout=5) as a, \
                    websockets.connect(url, ping_interval=None, open_timeout=5) as b:
                await asyncio.sleep(scaled(INTERVAL * 6 + TIMEOUT))
                await a.send("hello after idle")
                self.assertEqual(await asyncio.wait_for(b.recv(), 5), "hello after idle")
        run_async(go())


if __name__ == "__main__":
    unittest.main()
