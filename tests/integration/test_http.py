"""HTTP/1.1 surface of the real confab binary: health, the chat page, status codes,
keep-alive and pipelining, header and body limits. Raw sockets only."""

import json
import unittest

from confab_harness import (ConfabTestCase, build_request, deadline_in, http_request,
                            read_http_response)


class HttpTest(ConfabTestCase):

    def get(self, path, **kw):
        return http_request(self.server.http_port, "GET", path, **kw)

    def test_healthz_returns_200_json_status_ok(self):
        resp = self.get("/healthz")
        self.assertEqual(resp.status, 200)
        self.assertIn("json", (resp.header("Content-Type") or "").lower())
        self.assertEqual(json.loads(resp.body.decode("utf-8")).get("status"), "ok")

    def test_root_serves_the_chat_page_as_html(self):
        resp = self.get("/")
        self.assertEqual(resp.status, 200)
        self.assertTrue((resp.header("Content-Type") or "").lower().startswith("text/html"),
                        resp.headers)
        body = resp.body.lower()
        self.assertTrue(b"<html" in body or b"<!doctype html" in body, resp.body[:200])

    def test_unknown_path_is_404(self):
        self.assertEqual(self.get("/no/such/thing").status, 404)
        self.assertEqual(self.get("/healthz/extra").status, 404)

    def test_post_to_root_is_405_with_allow_header(self):
        resp = http_request(self.server.http_port, "POST", "/", body=b"x=1")
        self.assertEqual(resp.status, 405)
        allow = resp.header_tokens("Allow")
        self.assertIn("get", allow, resp.headers)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        conn = self.connect()
        port = self.server.http_port
        for path, status in [("/healthz", 200), ("/nope", 404), ("/", 200), ("/healthz", 200)]:
            conn.send(build_request("GET", path, port))
            resp = read_http_response(conn, deadline_in(5))
            self.assertIsNotNone(resp, f"connection closed before the response to {path}")
            self.assertEqual(resp.status, status, path)
        self.assertTrue(conn.is_open_now(0.1), "server closed a keep-alive connection")

    def test_pipelined_requests_are_answered_in_order(self):
        conn = self.connect()
        port = self.server.http_port
        conn.send(build_request("GET", "/healthz", port) + build_request("GET", "/missing", port)
                  + build_request("GET", "/healthz", port))
        statuses = []
        for _ in range(3):
            resp = read_http_response(conn, deadline_in(5))
            self.assertIsNotNone(resp, f"connection closed after {statuses}")
            statuses.append(resp.status)
        self.assertEqual(statuses, [200, 404, 200])

    def test_connection_close_request_closes_after_response(self):
        conn = self.connect()
        conn.send(build_request("GET", "/healthz", self.server.http_port,
                                [("Connection", "close")]))
        resp = read_http_response(conn, deadline_in(5))
        self.assertEqual(resp.status, 200)
        self.assertTrue(conn.wait_closed(3), "server kept the connection after Connection: close")

    def test_header_block_over_8_kib_is_431(self):
        conn = self.connect()
        conn.send(build_request("GET", "/healthz", self.server.http_port,
                                [("X-Big", "a" * 9000)]))
        resp = read_http_response(conn, deadline_in(5))
        self.assertIsNotNone(resp, "connection closed without a 431 response")
        self.assertEqual(resp.status, 431)

    def test_many_small_headers_over_8_kib_is_431(self):
        conn = self.connect()
        headers = [(f"X-H{i}", "v" * 40) for i in range(300)]  # ~14 KiB
        conn.send(build_request("GET", "/healthz", self.server.http_port, headers))
        resp = read_http_response(conn, deadline_in(5))
        self.assertIsNotNone(resp, "connection closed without a 431 response")
        self.assertEqual(resp.status, 431)

    def test_header_block_just_under_8_kib_is_accepted(self):
        conn = self.connect()
        conn.send(build_request("GET", "/healthz", self.server.http_port,
                                [("X-Big", "a" * 7000)]))
        resp = read_http_response(conn, deadline_in(5))
        self.assertEqual(resp.status, 200)

    def test_garbage_request_line_is_400_then_close(self):
        conn = self.connect()
        conn.send(b"HELLO THERE\r\n\r\n")
        resp = read_http_response(conn, deadline_in(5))
        self.assertIsNotNone(resp, "connection closed without a 400 response")
        self.assertEqual(resp.status, 400)
        self.assertTrue(conn.wait_closed(3), "server kept the connection open after a 400")

    def test_small_body_on_get_is_consumed_and_connection_reused(self):
        conn = self.connect()
        port = self.server.http_port
        body = b"b" * 100
        conn.send(build_request("GET", "/healthz", port, body=body)
                  + build_request("GET", "/healthz", port))
        for i in range(2):
            resp = read_http_response(conn, deadline_in(5))
            self.assertIsNotNone(resp, f"response {i} missing")
            self.assertEqual(resp.status, 200, f"response {i}")

    def test_get_with_body_over_64_kib_is_413(self):
        conn = self.connect()
        size = 64 * 1024 + 1
        conn.send(build_request("GET", "/", self.server.http_port,
                                [("Content-Length", str(size))]))
        # A server may answer from the Content-Length alone; give it a moment before sending
        # the body, so its early response is not lost to a reset.
        resp = None
        try:
            resp = read_http_response(conn, deadline_in(1))
        except TimeoutError:
            conn.try_send(b"z" * size)
            resp = read_http_response(conn, deadline_in(5))
        self.assertIsNotNone(resp, "connection closed without a 413 response")
        self.assertEqual(resp.status, 413)

    def test_server_survives_client_reset_mid_request(self):
        for _ in range(20):
            conn = self.connect()
            conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Partial: ")
            conn.abort()
        self.assertEqual(self.get("/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
