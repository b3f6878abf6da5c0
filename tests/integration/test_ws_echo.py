"""/ws/echo driven by an independent, widely used client: Python `websockets` 10.4,
with and without permessage-deflate."""

import asyncio
import os
import unittest

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from confab_harness import ConfabTestCase, run_async

# Below the default 4 MiB send-queue byte bound, so the echo of a max-size message fits.
MAX = 2 << 20


class EchoWithWebsockets(ConfabTestCase):
    server_args = ("--max-message-size", str(MAX))

    def connect_ws(self, **kw):
        kw.setdefault("max_size", MAX + 1024)
        kw.setdefault("open_timeout", 5)
        kw.setdefault("close_timeout", 5)
        return websockets.connect(self.server.ws_url("/ws/echo"), **kw)

    def test_text_and_binary_round_trip_with_type_preserved(self):
        async def go():
            async with self.connect_ws(compression=None) as ws:
                for msg in ["hello", "", "ünïcødé ☃ 😀", b"\x00\x01\xff", b""]:
                    await ws.send(msg)
                    got = await asyncio.wait_for(ws.recv(), 5)
                    self.assertEqual(type(got), type(msg))
                    self.assertEqual(got, msg)
        run_async(go())

    def test_two_hundred_messages_echo_in_order(self):
        async def go():
            async with self.connect_ws(compression=None) as ws:
                sent = [f"#{i} " + "x" * (i % 50) for i in range(200)]
                for m in sent:
                    await ws.send(m)
                got = [await asyncio.wait_for(ws.recv(), 5) for _ in sent]
                self.assertEqual(got, sent)
        run_async(go())

    def test_large_messages_echo(self):
        async def go():
            async with self.connect_ws(compression=None) as ws:
                for n in [65536, 1 << 20, MAX]:
                    data = os.urandom(n)
                    await ws.send(data)
                    self.assertEqual(await asyncio.wait_for(ws.recv(), 20), data)
        run_async(go(), timeout=60)

    def test_deflate_is_negotiated_with_server_no_context_takeover(self):
        async def go():
            async with self.connect_ws() as ws:  # websockets offers deflate by default
                names = [e.name for e in ws.extensions]
                self.assertEqual(names, ["permessage-deflate"])
                ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
                self.assertIn("server_no_context_takeover", ext)
        run_async(go())

    def test_compressed_echo_of_mixed_messages(self):
        async def go():
            async with self.connect_ws() as ws:
                self.assertTrue(ws.extensions, "deflate not negotiated")
                msgs = []
                for i in range(100):
                    if i % 3 == 0:
                        msgs.append(os.urandom(i * 37))           # incompressible
                    elif i % 3 == 1:
                        msgs.append(("chat line %d " % i) * (i + 1))  # compressible text
                    else:
                        msgs.append(b"\0" * (i * 1000))
                for m in msgs:
                    await ws.send(m)
                for m in msgs:
                    self.assertEqual(await asyncio.wait_for(ws.recv(), 5), m)
        run_async(go())

    def test_compressed_large_text_echoes(self):
        async def go():
            async with self.connect_ws() as ws:
                text = "".join(f"line {i}: the quick brown fox\n" for i in range(60000))
                await ws.send(text)
                self.assertEqual(await asyncio.wait_for(ws.recv(), 20), text)
        run_async(go(), timeout=40)

    def test_deflate_offers_with_other_parameters_work(self):
        factories = [
            ClientPerMessageDeflateFactory(client_no_context_takeover=True),
            ClientPerMessageDeflateFactory(client_max_window_bits=9),
            ClientPerMessageDeflateFactory(server_no_context_takeover=True),
            # The server must honour server_max_window_bits or decline the offer; websockets
            # rejects a response that silently ignores it.
            ClientPerMessageDeflateFactory(server_max_window_bits=10),
        ]
        for factory in factories:
            with self.subTest(factory=vars(factory)):
                async def go():
                    async with self.connect_ws(extensions=[factory], compression=None) as ws:
                        for i in range(10):
                            m = f"message {i} " * 100
                            await ws.send(m)
                            self.assertEqual(await asyncio.wait_for(ws.recv(), 5), m)
                run_async(go())

    def test_client_ping_gets_pong(self):
        async def go():
            async with self.connect_ws() as ws:
                waiter = await ws.ping(b"are you there")
                await asyncio.wait_for(waiter, 5)
        run_async(go())

    def test_client_close_codes_are_echoed(self):
        async def go():
            for code, reason in [(1000, ""), (1001, "leaving"), (3001, ""), (4000, "app")]:
                ws = await self.connect_ws()
                await ws.close(code, reason)
                self.assertEqual(ws.close_code, code)  # the reason need not be echoed
        run_async(go())

    def test_fifty_concurrent_clients_get_only_their_own_echoes(self):
        async def client(i):
            async with self.connect_ws(compression="deflate" if i % 2 else None) as ws:
                for j in range(20):
                    m = f"client {i} message {j}"
                    await ws.send(m)
                    self.assertEqual(await asyncio.wait_for(ws.recv(), 10), m)

        async def go():
            await asyncio.gather(*(client(i) for i in range(50)))
        run_async(go(), timeout=40)

    def test_oversized_message_is_closed_with_1009(self):
        async def go():
            async with self.connect_ws(compression=None) as ws:
                await ws.send(b"x" * (MAX + 1))
                with self.assertRaises(websockets.ConnectionClosed) as cm:
                    await asyncio.wait_for(ws.recv(), 10)
                self.assertEqual(cm.exception.rcvd.code if cm.exception.rcvd else None, 1009)
        run_async(go(), timeout=30)


if __name__ == "__main__":
    unittest.main()
