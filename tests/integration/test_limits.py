"""Connection-level limits: handshake timeout (idle, half a request, trickling bytes),
--max-connections, and malformed or hostile requests that must not hurt the server."""

import os
import time
import unittest

from confab_harness import (OP_TEXT, ConfabTestCase, RawConn, RawWebSocket, build_request,
                            deadline_in, encode_frame, http_request, new_ws_key,
                            read_http_response, scaled, ws_handshake_headers)

HANDSHAKE_TIMEOUT = 1.0


class HandshakeTimeout(ConfabTestCase):
    server_args = ("--handshake-timeout", "1s")

    def assert_closed_after_timeout(self, conn, what):
        start = time.monotonic()
        self.assertTrue(conn.wait_closed(HANDSHAKE_TIMEOUT + 4),
                        f"{what}: still open {HANDSHAKE_TIMEOUT + 4}s later")
        return time.monotonic() - start

    def test_silent_connection_is_closed_after_the_timeout(self):
        conn = self.connect()
        elapsed = self.assert_closed_after_timeout(conn, "silent connection")
        self.assertGreaterEqual(elapsed, HANDSHAKE_TIMEOUT * 0.5, "closed long before the timeout")

    def test_half_a_request_is_closed_after_the_timeout(self):
        conn = self.connect()
        conn.send(b"GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        self.assert_closed_after_timeout(conn, "half request")

    def test_trickled_request_is_closed_by_an_overall_deadline(self):
        # Slowloris: a byte every 100 ms must not keep resetting the timer.
        conn = self.connect()
        request = build_request("GET", "/healthz", self.server.http_port,
                                [("X-Pad", "p" * 200)])
        start = time.monotonic()
        for b in request[:-4]:
            if not conn.try_send(bytes([b]), timeout=1):
                break
            if not conn.is_open_now(0.1):
                break
            if time.monotonic() - start > scaled(HANDSHAKE_TIMEOUT + 4):
                self.fail("a trickling client kept its half request open past the timeout")
        self.assertLess(time.monotonic() - start, scaled(HANDSHAKE_TIMEOUT + 4))

    def test_complete_request_in_time_is_served(self):
        resp = http_request(self.server.http_port, "GET", "/healthz")
        self.assertEqual(resp.status, 200)

    def test_established_websocket_outlives_the_handshake_timeout(self):
        ws = self.ws_raw("/ws/echo")
        end = time.monotonic() + scaled(HANDSHAKE_TIMEOUT * 2.5)
        n = 0
        while time.monotonic() < end:
            ws.send_text(b"keepalive %d" % n)
            msg = ws.read_message(auto_pong=True)
            self.assertEqual(msg.payload, b"keepalive %d" % n)
            n += 1
            self.assertTrue(ws.is_open_now(0.2), "WebSocket closed by the handshake timeout")

    def test_idle_websocket_is_not_closed_by_the_handshake_timeout(self):
        ws = self.ws_raw("/ws/echo")
        self.assertTrue(ws.is_open_now(scaled(HANDSHAKE_TIMEOUT * 2.5)),
                        "an upgraded, idle WebSocket was closed by the handshake timeout")
        ws.send_text(b"after idle")
        self.assertEqual(ws.read_message(auto_pong=True).payload, b"after idle")

    def test_idle_telnet_user_is_not_closed_by_the_handshake_timeout(self):
        tc = self.telnet_client(nick="idler")
        self.assertTrue(tc.is_open_now(scaled(HANDSHAKE_TIMEOUT * 2.5)),
                        "an idle telnet user was closed by the handshake timeout")
        tc.sync()


class MaxConnections(ConfabTestCase):
    LIMIT = 4
    server_args = ("--max-connections", str(LIMIT))

    def refused(self):
        """True if a new WebSocket connection is refused (503, close, or connect error)."""
        try:
            conn = RawConn.connect(self.server.http_port, timeout=3)
        except OSError:
            return True
        try:
            key = new_ws_key()
            if not conn.try_send(build_request("GET", "/ws/echo", self.server.http_port,
                                               ws_handshake_headers(key))):
                return True
            try:
                resp = read_http_response(conn, deadline_in(3), expect_body=False)
            except TimeoutError:
                self.fail("connection over the limit was neither served nor refused in 3 s")
            except AssertionError:
                return True  # cut off mid-response
            if resp is None:
                return True
            if resp.status == 101:
                return False
            self.assertEqual(resp.status, 503, "over-limit connection got an odd status")
            return True
        finally:
            conn.close()

    def test_connection_over_the_limit_is_refused_and_slot_is_reusable(self):
        held = [self.ws_raw("/ws/echo") for _ in range(self.LIMIT)]
        self.assertTrue(self.refused(), f"connection {self.LIMIT + 1} was accepted")
        for i, ws in enumerate(held):  # the admitted ones are unaffected
            ws.send_text(b"held %d" % i)
            self.assertEqual(ws.read_message(auto_pong=True).payload, b"held %d" % i)
        # Free one slot with a clean close; a new connection must then get in.
        held[0].send_close(1000)
        held[0].read_until_close()
        self.assertTrue(held[0].wait_closed(5))
        deadline = deadline_in(5)
        while self.refused():
            if time.monotonic() > deadline:
                self.fail("a freed slot never became available")
            time.sleep(0.05)

    def open_when_admitted(self, timeout=5):
        """A WebSocket, retrying while the server is still at its limit."""
        deadline = deadline_in(timeout)
        while True:
            try:
                ws = RawWebSocket.open(self.server.http_port, "/ws/echo", timeout=3)
                self.addCleanup(ws.close)
                return ws
            except (AssertionError, OSError) as e:
                if time.monotonic() > deadline:
                    self.fail(f"no slot became free within {timeout}s: {e}")
                time.sleep(0.05)

    def test_abruptly_dropped_connections_free_their_slots(self):
        for _ in range(3):
            dropped = [self.open_when_admitted() for _ in range(self.LIMIT)]
            self.assertTrue(self.refused(), "limit not enforced")
            for ws in dropped:
                ws.abort()


class MalformedRequests(ConfabTestCase):

    def assert_healthy(self):
        self.assertEqual(http_request(self.server.http_port, "GET", "/healthz").status, 200)

    def test_endless_request_line_is_rejected_and_closed(self):
        conn = self.connect()
        conn.try_send(b"GET /" + b"a" * (100 * 1024), timeout=3)
        data = conn.read_available(deadline_in(5))
        self.assertTrue(conn.eof, "server kept reading an endless request line")
        if data:
            self.assertRegex(data[:12], rb"HTTP/1\.[01] (400|414|431)")
        self.assert_healthy()

    def test_random_binary_is_rejected_and_closed(self):
        conn = self.connect()
        conn.try_send(b"\x16\x03\x01" + os.urandom(2000))  # looks like a TLS ClientHello
        self.assertTrue(conn.wait_closed(5), "server kept a garbage connection open")
        self.assert_healthy()

    def test_bad_http_version_is_rejected(self):
        conn = self.connect()
        conn.send(b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n")
        resp = read_http_response(conn, deadline_in(5))
        if resp is not None:
            self.assertIn(resp.status, (400, 505))
        self.assert_healthy()

    def test_header_without_colon_is_400(self):
        conn = self.connect()
        conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n")
        resp = read_http_response(conn, deadline_in(5))
        self.assertIsNotNone(resp, "closed without a response")
        self.assertEqual(resp.status, 400)

    def test_invalid_content_length_is_400(self):
        for value in ["abc", "-1", "1, 2"]:
            with self.subTest(value=value):
                conn = self.connect()
                conn.send(build_request("GET", "/healthz", self.server.http_port,
                                        [("Content-Length", value)]))
                resp = read_http_response(conn, deadline_in(5), expect_body=False)
                self.assertIsNotNone(resp, "closed without a response")
                self.assertEqual(resp.status, 400)
                conn.close()

    def test_connect_and_reset_storm_leaves_server_healthy(self):
        for i in range(200):
            conn = RawConn.connect(self.server.http_port)
            if i % 3 == 1:
                conn.try_send(b"GET /ws/echo HTTP/1.1\r\n")
            elif i % 3 == 2:
                conn.try_send(build_request("GET", "/ws/echo", self.server.http_port,
                                            ws_handshake_headers(new_ws_key())))
            conn.abort()
        self.assert_healthy()

    def test_websocket_reset_mid_frame_leaves_server_healthy(self):
        for _ in range(20):
            ws = self.ws_raw("/ws/echo")
            ws.send(encode_frame(OP_TEXT, b"x" * 1000)[:500])
            ws.abort()
        ws = self.ws_raw("/ws/echo")
        ws.send_text(b"alive")
        self.assertEqual(ws.read_message().payload, b"alive")


if __name__ == "__main__":
    unittest.main()
