"""Graceful shutdown on SIGTERM/SIGINT: WebSockets get Close 1001, telnet users a goodbye
line, and the process exits 0 within 5 s. One server per test."""

import asyncio
import signal
import time
import unittest

import websockets

from confab_harness import ConfabTestCase, RawConn, run_async, scaled

EXIT_WITHIN = 5.0
PROMPT_EXIT = 2.0  # when no peer is left to wait for


class Shutdown(ConfabTestCase):
    per_test_server = True

    def assert_exits_zero_quickly(self, t0):
        code = self.server.wait_exit(max(0.1, t0 + scaled(EXIT_WITHIN) - time.monotonic()))
        self.assertIsNotNone(code, f"still running {EXIT_WITHIN}s after the signal")
        self.assertEqual(code, 0, "non-zero exit status on graceful shutdown")

    def test_idle_server_exits_zero_on_sigterm(self):
        t0 = time.monotonic()
        self.server.send_signal(signal.SIGTERM)
        self.assert_exits_zero_quickly(t0)

    def test_idle_server_exits_zero_on_sigint(self):
        t0 = time.monotonic()
        self.server.send_signal(signal.SIGINT)
        self.assert_exits_zero_quickly(t0)

    def test_sigterm_closes_websockets_with_1001_and_says_goodbye_on_telnet(self):
        telnet = self.telnet_client(nick="leaver")

        async def go():
            clients = []
            paths = ["/ws/echo", "/ws/rooms/lobby", "/ws/rooms/other", "/ws/echo"]
            for path in paths:
                ws = await websockets.connect(self.server.ws_url(path), open_timeout=5,
                                              close_timeout=5)
                await ws.send("ready?")
                self.assertEqual(await asyncio.wait_for(ws.recv(), 5), "ready?")
                clients.append(ws)
            t0 = time.monotonic()
            self.server.send_signal(signal.SIGTERM)
            for path, ws in zip(paths, clients):
                await asyncio.wait_for(ws.wait_closed(), scaled(EXIT_WITHIN))
                self.assertEqual(ws.close_code, 1001, f"{path}: close code")
            return t0

        t0 = run_async(go())
        line, _ = telnet.wait_line(lambda t: "goodbye" in t.lower(), timeout=EXIT_WITHIN,
                                   what="goodbye")
        self.assertTrue(telnet.wait_closed(EXIT_WITHIN), "telnet connection left open")
        self.assert_exits_zero_quickly(t0)

    def test_sigint_closes_raw_websocket_with_1001_frame(self):
        ws = self.ws_raw("/ws/rooms/raw-shutdown")
        t0 = time.monotonic()
        self.server.send_signal(signal.SIGINT)
        r = ws.read_until_close(timeout=EXIT_WITHIN)
        self.assertIsNotNone(r.close, f"TCP closed without a Close frame (reset={r.reset})")
        self.assertEqual(r.code, 1001)
        ws.send_close(1001)
        self.assertTrue(ws.wait_closed(EXIT_WITHIN))
        self.assert_exits_zero_quickly(t0)

    def test_peer_that_never_answers_close_does_not_delay_exit(self):
        stubborn = [self.ws_raw("/ws/echo") for _ in range(3)]  # never read, never answer
        telnet = RawConn.connect(self.server.telnet_port)  # never reads either
        self.addCleanup(telnet.close)
        t0 = time.monotonic()
        self.server.send_signal(signal.SIGTERM)
        self.assert_exits_zero_quickly(t0)
        for ws in stubborn:
            self.assertTrue(ws.wait_closed(2), "connection still open after the server exited")

    def test_cooperative_peers_let_the_server_exit_promptly(self):
        # Stricter than the 5 s contract: once every peer has answered the Close there is
        # nothing left to wait for. A slow exit here means finished connections are still
        # being tracked as open.
        clients = [self.ws_raw("/ws/echo") for _ in range(3)]
        for ws in clients:
            ws.send_text(b"sync")
            self.assertEqual(ws.read_message().payload, b"sync")
        t0 = time.monotonic()
        self.server.send_signal(signal.SIGTERM)
        for ws in clients:
            r = ws.read_until_close(timeout=EXIT_WITHIN)
            self.assertEqual(r.code, 1001)
            ws.send_close(1001)
            self.assertTrue(ws.wait_closed(EXIT_WITHIN), "TCP not closed after the handshake")
        code = self.server.wait_exit(max(0.1, t0 + scaled(PROMPT_EXIT) - time.monotonic()))
        self.assertIsNotNone(code, f"still running {PROMPT_EXIT}s after every peer had closed")
        self.assertEqual(code, 0)

    def test_half_open_http_request_does_not_delay_exit(self):
        conn = self.connect()
        conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        t0 = time.monotonic()
        self.server.send_signal(signal.SIGTERM)
        self.assert_exits_zero_quickly(t0)

    def test_listener_refuses_after_shutdown(self):
        port = self.server.http_port
        t0 = time.monotonic()
        self.server.send_signal(signal.SIGTERM)
        self.assert_exits_zero_quickly(t0)
        with self.assertRaises(OSError):
            RawConn.connect(port, timeout=2).close()


if __name__ == "__main__":
    unittest.main()
