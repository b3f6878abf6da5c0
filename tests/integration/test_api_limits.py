"""Limits on /api requests (docs/http-api.md, "Limits and errors"): 429 with Retry-After past
--api-rate/--api-burst per client address, counted in /metrics; 411 for a write whose body
has no length; chunked bodies keep working. Raw sockets, real server."""

import json
import re
import socket
import time
import unittest

from confab_harness import (ConfabServer, ConfabTestCase, RawConn, ServerStartError,
                            build_request, deadline_in, http_request, read_http_response,
                            scaled)

JSON = [("Content-Type", "application/json")]


def rate_limited_total(port):
    resp = http_request(port, "GET", "/metrics")
    m = re.search(rb"^confab_api_rate_limited_total (\d+)$", resp.body, re.M)
    assert m, resp.body
    return int(m.group(1))


def problem(resp):
    assert (resp.header("Content-Type") or "").startswith("application/problem+json"), resp
    return json.loads(resp.body)


class KeepAliveClient:
    """One keep-alive connection, optionally from another loopback address (127.0.0.2)."""

    def __init__(self, test, port, source="127.0.0.1"):
        sock = socket.create_connection(("127.0.0.1", port), timeout=scaled(5),
                                        source_address=(source, 0))
        self.conn = RawConn(sock)
        test.addCleanup(self.conn.close)
        self.port = port

    def request(self, method="GET", path="/api/rooms", headers=(), body=b""):
        self.conn.send(build_request(method, path, self.port, headers, body))
        resp = read_http_response(self.conn, deadline_in(5), head_request=(method == "HEAD"))
        assert resp is not None, f"{method} {path}: connection closed without a response"
        return resp

    def statuses(self, n, path="/api/rooms"):
        return [self.request(path=path).status for _ in range(n)]


class RateLimitTest(ConfabTestCase):
    per_test_server = True

    def setUp(self):
        # One loop, so that the whole limit applies to every connection (with N loops each
        # gets 1/N); one token a second leaves ample time between a test's requests.
        self.server = self.start_server_with(["--api-rate", "1", "--api-burst", "3"])

    def start_server_with(self, args, threads=1):
        server = ConfabServer(args, telnet=False, threads=threads).start()
        self.addCleanup(server.stop)
        self._servers = getattr(self, "_servers", []) + [server]
        return server

    def test_requests_past_the_burst_get_429_with_retry_after(self):
        client = KeepAliveClient(self, self.server.http_port)
        self.assertEqual(client.statuses(3), [200, 200, 200])
        resp = client.request()
        self.assertEqual(resp.status, 429)
        self.assertEqual(problem(resp)["status"], 429)
        retry_after = resp.header("Retry-After")
        self.assertIsNotNone(retry_after, resp.headers)
        self.assertRegex(retry_after, r"^[1-9][0-9]*$")  # whole seconds, never 0

    def test_429_keeps_the_connection_open(self):
        client = KeepAliveClient(self, self.server.http_port)
        client.statuses(3)
        self.assertEqual(client.request().status, 429)
        self.assertEqual(client.request(path="/healthz").status, 200)

    def test_a_client_that_waits_retry_after_is_served(self):
        client = KeepAliveClient(self, self.server.http_port)
        client.statuses(3)
        resp = client.request()
        self.assertEqual(resp.status, 429)
        # The promise under test is a duration: waiting it is the behaviour, not a guess.
        time.sleep(int(resp.header("Retry-After")))
        self.assertEqual(client.request().status, 200)

    def test_refused_requests_do_not_count_against_the_limit(self):
        client = KeepAliveClient(self, self.server.http_port)
        client.statuses(3)
        started = time.monotonic()
        self.assertEqual(set(client.statuses(20)), {429})
        time.sleep(max(0.0, 1.1 - (time.monotonic() - started)))  # one token at 1/s
        self.assertEqual(client.request().status, 200)

    def test_every_address_has_its_own_limit(self):
        first = KeepAliveClient(self, self.server.http_port, source="127.0.0.1")
        first.statuses(3)
        self.assertEqual(first.request().status, 429)
        second = KeepAliveClient(self, self.server.http_port, source="127.0.0.2")
        self.assertEqual(second.statuses(3), [200, 200, 200])

    def test_every_connection_of_an_address_shares_its_limit(self):
        a = KeepAliveClient(self, self.server.http_port)
        b = KeepAliveClient(self, self.server.http_port)
        self.assertEqual(a.statuses(2) + b.statuses(2), [200, 200, 200, 429])

    def test_only_the_api_is_limited(self):
        client = KeepAliveClient(self, self.server.http_port)
        client.statuses(3)
        self.assertEqual(client.request().status, 429)
        for path in ("/healthz", "/", "/metrics"):
            self.assertEqual(client.request(path=path).status, 200, path)

    def test_429s_are_counted_in_metrics(self):
        port = self.server.http_port
        before = rate_limited_total(port)
        client = KeepAliveClient(self, port)
        self.assertEqual(client.statuses(5).count(429), 2)
        self.assertEqual(rate_limited_total(port), before + 2)

    def test_zero_rate_turns_the_limit_off(self):
        server = self.start_server_with(["--api-rate", "0"])
        client = KeepAliveClient(self, server.http_port)
        self.assertEqual(set(client.statuses(200)), {200})

    def test_each_loop_enforces_its_share_of_the_limit(self):
        # Two loops, burst 4: a connection lives on one loop, which allows 4 / 2.
        server = self.start_server_with(["--api-rate", "2", "--api-burst", "4"], threads=2)
        client = KeepAliveClient(self, server.http_port)
        self.assertEqual(client.statuses(3), [200, 200, 429])

    def test_negative_rate_is_a_start_up_error(self):
        with self.assertRaises(ServerStartError) as caught:
            ConfabServer(["--api-rate", "-1"], telnet=False).start()
        self.assertIn("--api-rate", str(caught.exception))


class LengthRequiredTest(ConfabTestCase):
    server_telnet = False

    def raw(self, head: bytes):
        conn = self.connect()
        conn.send(head)
        resp = read_http_response(conn, deadline_in(5))
        self.assertIsNotNone(resp, "connection closed without a response")
        return conn, resp

    def test_write_without_content_length_or_chunked_is_411_then_close(self):
        for method, path in (("POST", "/api/rooms/lobby/messages"),
                             ("POST", "/api/resources/books"),
                             ("PUT", "/api/resources/books/dune"),
                             ("PATCH", "/api/resources/books/dune")):
            with self.subTest(method=method):
                conn, resp = self.raw(build_request(method, path, self.server.http_port, JSON))
                self.assertEqual(resp.status, 411)
                self.assertEqual(problem(resp)["status"], 411)
                self.assertTrue(conn.wait_closed(3), "the connection stayed open after a 411")

    def test_content_length_zero_is_not_411(self):
        conn, resp = self.raw(build_request("POST", "/api/resources/books", self.server.http_port,
                                            JSON + [("Content-Length", "0")]))
        self.assertEqual(resp.status, 400)  # an empty body is not a JSON object

    def test_delete_needs_no_length(self):
        conn, resp = self.raw(build_request("DELETE", "/api/resources/books/nothing-here",
                                            self.server.http_port))
        self.assertEqual(resp.status, 404)

    def test_writes_outside_the_api_are_not_411(self):
        conn, resp = self.raw(build_request("POST", "/", self.server.http_port))
        self.assertEqual(resp.status, 405)

    def test_chunked_bodies_are_accepted(self):
        body = json.dumps({"title": "Chunked", "pages": 3}).encode()
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                           for part in (body[:7], body[7:])) + b"0\r\n\r\n"
        headers = JSON + [("Transfer-Encoding", "chunked")]
        port = self.server.http_port
        conn, resp = self.raw(build_request("PUT", "/api/resources/books/chunked", port, headers)
                              + chunked)
        self.assertEqual(resp.status, 201, resp.body)
        self.assertEqual(json.loads(resp.body), {"title": "Chunked", "pages": 3})
        publish = json.dumps({"data": {"text": "chunked"}}).encode()
        conn, resp = self.raw(build_request("POST", "/api/rooms/lobby/messages", port, headers)
                              + b"%x\r\n%s\r\n0\r\n\r\n" % (len(publish), publish))
        self.assertEqual(resp.status, 201, resp.body)


if __name__ == "__main__":
    unittest.main()
