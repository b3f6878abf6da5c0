"""The WebSocket opening handshake (RFC 6455 §4.2) and extension negotiation (RFC 7692 §5),
checked on raw sockets against the real binary."""

import base64
import os
import unittest

from confab_harness import (OP_TEXT, ConfabTestCase, RawWebSocket, build_request, deadline_in,
                            encode_frame, new_ws_key, read_http_response, ws_accept,
                            ws_handshake_headers)


class HandshakeTest(ConfabTestCase):

    def handshake(self, path="/ws/echo", method="GET", **header_kw):
        conn = self.connect()
        conn.send(build_request(method, path, self.server.http_port,
                                ws_handshake_headers(**header_kw)))
        resp = read_http_response(conn, deadline_in(5), expect_body=False)
        self.assertIsNotNone(resp, f"connection closed without a response ({header_kw})")
        return conn, resp

    def test_rfc_sample_key_gets_rfc_sample_accept(self):
        _, resp = self.handshake(key="dGhlIHNhbXBsZSBub25jZQ==")
        self.assertEqual(resp.status, 101)
        self.assertEqual(resp.header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        self.assertEqual((resp.header("Upgrade") or "").lower(), "websocket")
        self.assertIn("upgrade", resp.header_tokens("Connection"))

    def test_random_key_accept_matches_sha1_guid(self):
        key = new_ws_key()
        conn, resp = self.handshake(key=key)
        self.assertEqual(resp.status, 101)
        self.assertEqual(resp.header("Sec-WebSocket-Accept"), ws_accept(key))

    def test_header_names_and_tokens_are_case_insensitive(self):
        # Firefox sends "Connection: keep-alive, Upgrade"; tokens are case-insensitive.
        _, resp = self.handshake(key=new_ws_key(), upgrade="WebSocket",
                                 connection="keep-alive, Upgrade")
        self.assertEqual(resp.status, 101)

    def test_missing_key_is_400(self):
        self.assertEqual(self.handshake(key=None)[1].status, 400)

    def test_invalid_keys_are_400(self):
        bad_keys = ["not base64!!", base64.b64encode(os.urandom(15)).decode(),
                    base64.b64encode(os.urandom(17)).decode(), ""]
        for key in bad_keys:
            with self.subTest(key=key):
                self.assertEqual(self.handshake(key=key)[1].status, 400)

    def test_missing_upgrade_header_is_400(self):
        self.assertEqual(self.handshake(key=new_ws_key(), upgrade=None)[1].status, 400)

    def test_missing_connection_header_is_400(self):
        self.assertEqual(self.handshake(key=new_ws_key(), connection=None)[1].status, 400)

    def test_plain_get_on_ws_endpoint_is_400(self):
        conn = self.connect()
        conn.send(build_request("GET", "/ws/echo", self.server.http_port))
        resp = read_http_response(conn, deadline_in(5))
        self.assertEqual(resp.status, 400)

    def test_unsupported_version_is_426_naming_version_13(self):
        for version in ["8", "12", "14"]:
            with self.subTest(version=version):
                _, resp = self.handshake(key=new_ws_key(), version=version)
                self.assertEqual(resp.status, 426)
                self.assertEqual((resp.header("Sec-WebSocket-Version") or "").strip(), "13")

    def test_missing_version_is_rejected(self):
        _, resp = self.handshake(key=new_ws_key(), version=None)
        self.assertIn(resp.status, (400, 426))

    def test_non_get_upgrade_is_405(self):
        _, resp = self.handshake(method="POST", key=new_ws_key())
        self.assertEqual(resp.status, 405)

    def test_unknown_ws_path_is_404(self):
        _, resp = self.handshake(path="/ws/nothing-here", key=new_ws_key())
        self.assertEqual(resp.status, 404)

    def test_no_extension_offer_gets_no_extension_header(self):
        _, resp = self.handshake(key=new_ws_key())
        self.assertEqual(resp.status, 101)
        self.assertIsNone(resp.header("Sec-WebSocket-Extensions"))

    def test_unknown_extension_is_ignored(self):
        _, resp = self.handshake(key=new_ws_key(), extensions="x-webkit-foo; bar=1")
        self.assertEqual(resp.status, 101)
        self.assertNotIn("x-webkit-foo", (resp.header("Sec-WebSocket-Extensions") or ""))

    def test_permessage_deflate_offer_is_accepted_with_server_no_context_takeover(self):
        for offer in ["permessage-deflate",
                      "permessage-deflate; client_max_window_bits",
                      "permessage-deflate; client_no_context_takeover; client_max_window_bits",
                      "x-unknown, permessage-deflate"]:
            with self.subTest(offer=offer):
                _, resp = self.handshake(key=new_ws_key(), extensions=offer)
                self.assertEqual(resp.status, 101)
                ext = (resp.header("Sec-WebSocket-Extensions") or "").lower()
                params = [p.strip() for p in ext.split(";")]
                self.assertEqual(params[0], "permessage-deflate", ext)
                self.assertIn("server_no_context_takeover", params, ext)
                if "client_max_window_bits" not in offer:
                    # RFC 7692 §7.1.2.2: only an offer that has it may be answered with it.
                    self.assertFalse(any(p.startswith("client_max_window_bits") for p in params),
                                     ext)

    def test_invalid_deflate_parameters_decline_or_fail_but_never_echo_garbage(self):
        # RFC 7692 §5.1: an offer with an unknown or invalid parameter must be declined.
        _, resp = self.handshake(key=new_ws_key(),
                                 extensions="permessage-deflate; server_max_window_bits=99")
        if resp.status == 101:
            ext = (resp.header("Sec-WebSocket-Extensions") or "").lower()
            self.assertNotIn("=99", ext)

    def test_handshake_then_frame_in_same_packet_is_processed(self):
        conn = self.connect()
        key = new_ws_key()
        conn.send(build_request("GET", "/ws/echo", self.server.http_port,
                                ws_handshake_headers(key)) + encode_frame(OP_TEXT, b"early"))
        resp = read_http_response(conn, deadline_in(5), expect_body=False)
        self.assertEqual(resp.status, 101)
        ws = RawWebSocket(conn.sock)
        ws.buf = conn.buf
        ws.deflate = False
        msg = ws.read_message()
        self.assertEqual((msg.opcode, msg.payload), (OP_TEXT, b"early"))


if __name__ == "__main__":
    unittest.main()
