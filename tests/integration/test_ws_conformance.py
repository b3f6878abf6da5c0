"""RFC 6455 / RFC 7692 conformance of /ws/echo, modelled on the Autobahn TestSuite cases:
1 framing, 2 pings, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close,
9 limits, 12/13 compression. Raw sockets with our own frame codec, so every bit is ours."""

import os
import time
import unittest
import zlib

from confab_harness import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT,
                            ConfabTestCase, close_payload, deadline_in, deflate_message,
                            encode_frame)

LIMIT = 1 << 20  # --max-message-size for this module


class EchoCase(ConfabTestCase):
    server_args = ("--max-message-size", str(LIMIT))

    def open(self, extensions=None):
        return self.ws_raw("/ws/echo", extensions=extensions)

    def open_deflate(self):
        ws = self.open("permessage-deflate; client_max_window_bits")
        self.assertTrue(ws.deflate, "server did not negotiate permessage-deflate")
        return ws

    def assert_echo(self, ws, opcode, payload, timeout=5):
        msg = ws.read_message(timeout)
        self.assertEqual(msg.opcode, opcode, "echo has a different opcode")
        self.assertEqual(len(msg.payload), len(payload), "echo has a different length")
        self.assertEqual(msg.payload, payload, "echo has different bytes")
        return msg

    def assert_optional_echo_then_close(self, ws, payload, code):
        """Autobahn NON-STRICT: after a valid message followed by a violation, the echo of
        the valid message may be dropped; if it is sent, it must be exact and come first."""
        r = self.assert_closed_with(ws, code, allow_frames=True)
        data = b"".join(f.payload for f in r.frames if f.opcode in (OP_TEXT, OP_CONT))
        self.assertIn(data, (b"", payload), "wrong data before the Close")
        return r

    def assert_closed_with(self, ws, code, timeout=5, allow_frames=False):
        """The server sends Close `code`, and closes TCP once we answer."""
        r = ws.read_until_close(timeout)
        self.assertIsNotNone(r.close, f"TCP ended (reset={r.reset}) without a Close frame; "
                                      f"wanted {code}; frames before: {r.frames}")
        if not allow_frames:
            data = [f for f in r.frames if f.opcode in (OP_TEXT, OP_BINARY, OP_CONT)]
            self.assertEqual(data, [], "data frames before the Close")
        if isinstance(code, (tuple, set, frozenset)):
            self.assertIn(r.code, code, f"close reason {r.close.close_reason()!r}")
        else:
            self.assertEqual(r.code, code, f"close reason {r.close.close_reason()!r}")
        ws.send_close(r.code)
        self.assertTrue(ws.wait_closed(5), "server did not close TCP after the close handshake")
        return r


# ------------------------------------------------------------------------- 1 framing

class Framing(EchoCase):
    SIZES = [0, 1, 125, 126, 127, 128, 1000, 65535, 65536, 65537, 200000]

    def test_1_1_text_messages_of_boundary_lengths_echo(self):
        ws = self.open()
        for n in self.SIZES:
            with self.subTest(n=n):
                payload = b"*" * n
                ws.send_text(payload)
                self.assert_echo(ws, OP_TEXT, payload)

    def test_1_2_binary_messages_of_boundary_lengths_echo(self):
        ws = self.open()
        for n in self.SIZES:
            with self.subTest(n=n):
                payload = bytes([0xFE]) * n
                ws.send_binary(payload)
                self.assert_echo(ws, OP_BINARY, payload)

    def test_1_1_8_frame_written_in_small_chunks_echoes(self):
        ws = self.open()
        payload = os.urandom(65536)
        wire = encode_frame(OP_BINARY, payload)
        for i in range(0, len(wire), 997):
            ws.send(wire[i:i + 997])
        self.assert_echo(ws, OP_BINARY, payload)

    def test_frame_header_written_byte_by_byte_echoes(self):
        ws = self.open()
        wire = encode_frame(OP_TEXT, b"x" * 300)
        for i in range(0, 16):
            ws.send(wire[i:i + 1])
            time.sleep(0.002)  # separate segments on the wire; not a wait for an event
        ws.send(wire[16:])
        self.assert_echo(ws, OP_TEXT, b"x" * 300)

    def test_many_frames_in_one_write_echo_in_order(self):
        ws = self.open()
        payloads = [f"message {i}".encode() for i in range(500)]
        ws.send(b"".join(encode_frame(OP_TEXT, p) for p in payloads))
        for p in payloads:
            self.assert_echo(ws, OP_TEXT, p)

    def test_unmasked_client_frame_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_TEXT, b"hello", mask=False)
        self.assert_closed_with(ws, 1002)

    def test_64_bit_length_with_high_bit_set_is_rejected(self):
        # RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0.
        ws = self.open()
        ws.send(encode_frame(OP_BINARY, b"", length=1 << 63))
        self.assert_closed_with(ws, (1002, 1009))


# ------------------------------------------------------------------------- 2 pings

class Pings(EchoCase):

    def test_2_1_empty_ping_gets_empty_pong(self):
        ws = self.open()
        ws.send_frame(OP_PING, b"")
        f = ws.read_frame(deadline_in(5))
        self.assertEqual((f.opcode, f.payload, f.fin), (OP_PONG, b"", True))

    def test_2_3_binary_ping_payload_is_returned(self):
        ws = self.open()
        payload = bytes([0, 255, 254, 253, 252, 251, 250, 249])
        ws.send_frame(OP_PING, payload)
        f = ws.read_frame(deadline_in(5))
        self.assertEqual((f.opcode, f.payload), (OP_PONG, payload))

    def test_2_4_ping_with_125_byte_payload_is_returned(self):
        ws = self.open()
        payload = os.urandom(125)
        ws.send_frame(OP_PING, payload)
        f = ws.read_frame(deadline_in(5))
        self.assertEqual((f.opcode, f.payload), (OP_PONG, payload))

    def test_2_5_ping_with_126_byte_payload_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_PING, b"p" * 126)
        self.assert_closed_with(ws, 1002)

    def test_2_6_ping_written_in_chunks_gets_pong(self):
        ws = self.open()
        wire = encode_frame(OP_PING, b"chunky" * 20)
        for i in range(0, len(wire), 3):
            ws.send(wire[i:i + 3])
        f = ws.read_frame(deadline_in(5))
        self.assertEqual((f.opcode, f.payload), (OP_PONG, b"chunky" * 20))

    def test_2_7_unsolicited_pong_is_ignored(self):
        ws = self.open()
        ws.send_frame(OP_PONG, b"unsolicited")
        ws.send_text(b"after pong")
        msg = self.assert_echo(ws, OP_TEXT, b"after pong")
        self.assertEqual(msg.controls, [], "server answered a pong")

    def test_2_10_ten_pings_get_ten_pongs_in_order(self):
        ws = self.open()
        ws.send(b"".join(encode_frame(OP_PING, b"ping %d" % i) for i in range(10)))
        deadline = deadline_in(5)
        for i in range(10):
            f = ws.read_frame(deadline)
            self.assertIsNotNone(f)
            self.assertEqual((f.opcode, f.payload), (OP_PONG, b"ping %d" % i))

    def test_2_9_ping_after_close_is_not_answered(self):
        ws = self.open()
        ws.send(encode_frame(OP_CLOSE, close_payload(1000)) + encode_frame(OP_PING, b"late"))
        r = ws.read_until_close()
        self.assertIsNotNone(r.close)
        self.assertEqual([f for f in r.frames if f.opcode == OP_PONG], [])
        rest = ws.read_available(deadline_in(2))
        self.assertNotIn(b"late", rest, "server answered a ping sent after Close")


# ------------------------------------------------------------------------- 3 reserved bits

class ReservedBits(EchoCase):

    def test_3_1_rsv1_on_text_without_deflate_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_TEXT, b"hello", rsv1=True)
        self.assert_closed_with(ws, 1002)

    def test_3_2_rsv2_after_valid_echo_is_1002(self):
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"hello") + encode_frame(OP_TEXT, b"hello", rsv2=True)
                + encode_frame(OP_PING, b""))
        r = self.assert_optional_echo_then_close(ws, b"hello", 1002)
        self.assertEqual([f for f in r.frames if f.opcode == OP_PONG], [],
                         "server answered a ping that followed the bad frame")

    def test_3_3_rsv3_on_binary_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_BINARY, b"\x00\xff", rsv3=True)
        self.assert_closed_with(ws, 1002)

    def test_3_4_all_rsv_bits_on_binary_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_BINARY, b"\x00\xff", rsv1=True, rsv2=True, rsv3=True)
        self.assert_closed_with(ws, 1002)

    def test_3_6_rsv_on_ping_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_PING, b"hi", rsv2=True)
        self.assert_closed_with(ws, 1002)

    def test_3_7_rsv_on_close_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_CLOSE, close_payload(1000), rsv3=True)
        self.assert_closed_with(ws, 1002)


# ------------------------------------------------------------------------- 4 opcodes

class Opcodes(EchoCase):

    def test_4_reserved_opcodes_are_1002(self):
        for op in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]:
            with self.subTest(opcode=op):
                ws = self.open()
                ws.send_frame(op, b"reserved")
                self.assert_closed_with(ws, 1002)
                ws.close()

    def test_4_1_2_reserved_opcode_after_valid_echo_is_1002(self):
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"first") + encode_frame(4, b"x"))
        self.assert_optional_echo_then_close(ws, b"first", 1002)


# ------------------------------------------------------------------------- 5 fragmentation

class Fragmentation(EchoCase):

    def test_5_1_fragmented_ping_is_1002(self):
        ws = self.open()
        ws.send(encode_frame(OP_PING, b"frag", fin=False) + encode_frame(OP_CONT, b"ment"))
        self.assert_closed_with(ws, 1002)

    def test_5_2_fragmented_pong_is_1002(self):
        ws = self.open()
        ws.send(encode_frame(OP_PONG, b"frag", fin=False) + encode_frame(OP_CONT, b"ment"))
        self.assert_closed_with(ws, 1002)

    def test_5_3_text_in_two_fragments_echoes_whole(self):
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"frag", fin=False) + encode_frame(OP_CONT, b"ment"))
        self.assert_echo(ws, OP_TEXT, b"fragment")

    def test_5_6_ping_between_fragments_is_answered_before_the_message(self):
        ws = self.open()
        ws.send_frame(OP_TEXT, b"frag", fin=False)
        ws.send_frame(OP_PING, b"in the middle")
        # The pong must come while the message is still open: the server must not hold it.
        f = ws.read_frame(deadline_in(5))
        self.assertIsNotNone(f)
        self.assertEqual((f.opcode, f.payload), (OP_PONG, b"in the middle"))
        ws.send_frame(OP_CONT, b"ment")
        self.assert_echo(ws, OP_TEXT, b"fragment")

    def test_5_9_continuation_without_message_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_CONT, b"orphan", fin=True)
        self.assert_closed_with(ws, 1002)

    def test_5_10_unfinished_continuation_without_message_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_CONT, b"orphan", fin=False)
        self.assert_closed_with(ws, 1002)

    def test_5_15_second_message_starting_with_continuation_is_1002(self):
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"one", fin=False) + encode_frame(OP_CONT, b"two")
                + encode_frame(OP_CONT, b"three", fin=False) + encode_frame(OP_TEXT, b"four"))
        self.assert_optional_echo_then_close(ws, b"onetwo", 1002)

    def test_5_17_new_data_frame_inside_fragmented_message_is_1002(self):
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"one", fin=False) + encode_frame(OP_TEXT, b"two"))
        self.assert_closed_with(ws, 1002)

    def test_5_binary_inside_fragmented_text_is_1002(self):
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"one", fin=False)
                + encode_frame(OP_BINARY, b"two", fin=False))
        self.assert_closed_with(ws, 1002)

    def test_5_binary_in_one_byte_fragments_echoes(self):
        ws = self.open()
        payload = os.urandom(200)
        frames = [encode_frame(OP_BINARY, payload[:1], fin=False)]
        frames += [encode_frame(OP_CONT, payload[i:i + 1], fin=False) for i in range(1, 199)]
        frames.append(encode_frame(OP_CONT, payload[199:], fin=True))
        ws.send(b"".join(frames))
        self.assert_echo(ws, OP_BINARY, payload)

    def test_6_1_empty_fragments_echo_the_final_payload(self):
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"", fin=False) + encode_frame(OP_CONT, b"", fin=False)
                + encode_frame(OP_CONT, b"middle", fin=False) + encode_frame(OP_CONT, b""))
        self.assert_echo(ws, OP_TEXT, b"middle")

    def test_close_between_fragments_is_answered(self):
        # RFC 6455 §5.4: control frames may be injected in the middle of a fragmented message.
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"half", fin=False)
                + encode_frame(OP_CLOSE, close_payload(1000)))
        self.assert_closed_with(ws, 1000)


# ------------------------------------------------------------------------- 6 UTF-8

VALID_UTF8 = [
    "Hello-µ@ßöäüàá-UTF-8!!".encode(),
    "κόσμε".encode(),
    b"\xf0\x9f\x98\x80 emoji",
    b"\xed\x9f\xbf",          # U+D7FF, last before surrogates
    b"\xee\x80\x80",          # U+E000, first after surrogates
    b"\xef\xbf\xbf",          # U+FFFF
    b"\xf4\x8f\xbf\xbf",      # U+10FFFF
    b"\x00\x7f",
]

INVALID_UTF8 = [
    b"\x80",                              # lone continuation byte
    b"\xbf",
    b"\xc0\xaf",                          # overlong '/'
    b"\xc1\xbf",                          # overlong
    b"\xe0\x80\xaf",                      # overlong 3-byte
    b"\xf0\x80\x80\xaf",                  # overlong 4-byte
    b"\xed\xa0\x80",                      # U+D800 surrogate
    b"\xed\xbf\xbf",                      # U+DFFF surrogate
    b"\xf4\x90\x80\x80",                  # > U+10FFFF
    b"\xf8\x88\x80\x80\x80",              # 5-byte form
    b"\xfe", b"\xff",
    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
    b"abc\xc3",                           # truncated at the end of the message
    b"\xce\xba\xe1\xbd",                  # truncated 3-byte sequence
]


class Utf8(EchoCase):

    def test_6_valid_utf8_text_echoes_byte_for_byte(self):
        ws = self.open()
        for payload in VALID_UTF8:
            with self.subTest(payload=payload):
                ws.send_text(payload)
                self.assert_echo(ws, OP_TEXT, payload)

    def test_6_valid_utf8_split_inside_code_points_echoes(self):
        ws = self.open()
        payload = "κόσμε 😀 €".encode()
        frames = [encode_frame(OP_TEXT, payload[:1], fin=False)]
        frames += [encode_frame(OP_CONT, payload[i:i + 1], fin=False)
                   for i in range(1, len(payload) - 1)]
        frames.append(encode_frame(OP_CONT, payload[-1:]))
        ws.send(b"".join(frames))
        self.assert_echo(ws, OP_TEXT, payload)

    def test_6_invalid_utf8_text_is_1007(self):
        for payload in INVALID_UTF8:
            with self.subTest(payload=payload):
                ws = self.open()
                ws.send_text(payload)
                self.assert_closed_with(ws, 1007)
                ws.close()

    def test_6_invalid_utf8_split_across_fragments_is_1007(self):
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, "κ".encode() + b"\xed", fin=False)
                + encode_frame(OP_CONT, b"\xa0\x80 surrogate"))
        self.assert_closed_with(ws, 1007)

    def test_6_4_invalid_utf8_fails_fast_before_the_final_fragment(self):
        ws = self.open()
        ws.send_frame(OP_TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80",
                      fin=False)
        # No final fragment is ever sent: only a fail-fast validator can close here.
        self.assert_closed_with(ws, 1007, timeout=3)

    def test_6_4_invalid_byte_ending_a_fragment_fails_fast(self):
        ws = self.open()
        ws.send_frame(OP_TEXT, "κόσμε".encode() + b"\xf4\x90", fin=False)
        self.assert_closed_with(ws, 1007, timeout=3)

    def test_6_binary_with_invalid_utf8_is_not_validated(self):
        ws = self.open()
        ws.send_binary(b"\xff\xfe\xed\xa0\x80")
        self.assert_echo(ws, OP_BINARY, b"\xff\xfe\xed\xa0\x80")


# ------------------------------------------------------------------------- 7 close

VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                     3000, 3999, 4000, 4999]
INVALID_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


class Close(EchoCase):

    def test_7_1_1_close_1000_is_echoed_and_tcp_closed(self):
        ws = self.open()
        ws.send_text(b"before close")
        self.assert_echo(ws, OP_TEXT, b"before close")
        ws.send_close(1000, b"bye")
        r = ws.read_until_close()
        self.assertIsNotNone(r.close, "no Close reply")
        self.assertEqual(r.code, 1000)
        self.assertTrue(ws.wait_closed(3), "server did not close TCP after the handshake")

    def test_7_1_text_then_close_in_one_write_echo_then_close(self):
        # Autobahn 7.1.1 is strict here: a normal close must not discard the queued echo.
        ws = self.open()
        ws.send(encode_frame(OP_TEXT, b"last words") + encode_frame(OP_CLOSE, close_payload(1000)))
        self.assert_echo(ws, OP_TEXT, b"last words")
        r = ws.read_until_close()
        self.assertEqual(r.code, 1000)

    def test_7_1_data_after_close_is_ignored(self):
        ws = self.open()
        ws.send(encode_frame(OP_CLOSE, close_payload(1000)) + encode_frame(OP_TEXT, b"zombie"))
        r = ws.read_until_close()
        self.assertEqual(r.code, 1000)
        self.assertEqual([f for f in r.frames if f.opcode == OP_TEXT], [])
        rest = ws.read_available(deadline_in(2))
        self.assertNotIn(b"zombie", rest)

    def test_7_3_1_empty_close_is_answered(self):
        ws = self.open()
        ws.send_close(None)
        r = ws.read_until_close()
        self.assertIsNotNone(r.close, "no Close reply to an empty Close")
        self.assertIn(r.code, (None, 1000), "reply to an empty Close carries an odd code")
        self.assertTrue(ws.wait_closed(3))

    def test_7_3_2_close_with_one_byte_payload_is_1002(self):
        ws = self.open()
        ws.send_frame(OP_CLOSE, b"\x03")
        self.assert_closed_with(ws, 1002)

    def test_7_3_5_close_with_123_byte_reason_is_echoed(self):
        ws = self.open()
        ws.send_close(1000, b"r" * 123)
        r = ws.read_until_close()
        self.assertEqual(r.code, 1000)

    def test_7_3_6_close_with_126_byte_payload_is_1002(self):
        ws = self.open()
        ws.send_close(1000, b"r" * 124)
        self.assert_closed_with(ws, 1002)

    def test_7_5_close_reason_with_invalid_utf8_is_1007(self):
        ws = self.open()
        ws.send_close(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")
        self.assert_closed_with(ws, 1007)

    def test_7_7_valid_close_codes_are_echoed(self):
        for code in VALID_CLOSE_CODES:
            with self.subTest(code=code):
                ws = self.open()
                ws.send_close(code)
                r = ws.read_until_close()
                self.assertIsNotNone(r.close)
                self.assertEqual(r.code, code)
                self.assertTrue(ws.wait_closed(3))
                ws.close()

    def test_7_9_invalid_close_codes_are_1002(self):
        for code in INVALID_CLOSE_CODES:
            with self.subTest(code=code):
                ws = self.open()
                ws.send_close(code)
                self.assert_closed_with(ws, 1002)
                ws.close()

    def test_server_closes_tcp_when_peer_never_answers_its_close(self):
        ws = self.open()
        ws.send_frame(OP_TEXT, b"x", mask=False)  # provoke the server's Close 1002
        r = ws.read_until_close()
        self.assertEqual(r.code, 1002)
        start = time.monotonic()
        # We never answer; the server must give up and close TCP by itself.
        self.assertTrue(ws.wait_closed(10), "server kept TCP open waiting for our Close")
        self.assertLess(time.monotonic() - start, 10)


# ------------------------------------------------------------------------- 9 limits

class Limits(EchoCase):

    def test_9_message_at_the_limit_echoes(self):
        ws = self.open()
        payload = os.urandom(LIMIT)
        ws.send_binary(payload)
        self.assert_echo(ws, OP_BINARY, payload, timeout=15)

    def test_9_text_message_at_the_limit_echoes_in_fragments(self):
        ws = self.open()
        payload = b"t" * LIMIT
        q = LIMIT // 4
        ws.send(encode_frame(OP_TEXT, payload[:q], fin=False)
                + encode_frame(OP_CONT, payload[q:2 * q], fin=False)
                + encode_frame(OP_CONT, payload[2 * q:3 * q], fin=False)
                + encode_frame(OP_CONT, payload[3 * q:]))
        self.assert_echo(ws, OP_TEXT, payload, timeout=15)

    def test_9_single_frame_over_the_limit_is_1009(self):
        ws = self.open()
        ws.try_send(encode_frame(OP_BINARY, os.urandom(LIMIT + 1)), timeout=3)
        self.assert_closed_with(ws, 1009, timeout=10)

    def test_9_fragmented_message_over_the_limit_is_1009(self):
        ws = self.open()
        chunk = b"f" * (LIMIT // 3)
        frames = [encode_frame(OP_TEXT, chunk, fin=False)]
        frames += [encode_frame(OP_CONT, chunk, fin=False) for _ in range(2)]
        frames.append(encode_frame(OP_CONT, b"over"))
        ws.try_send(b"".join(frames), timeout=3)
        self.assert_closed_with(ws, 1009, timeout=10)

    def test_9_huge_announced_length_fails_fast_without_the_payload(self):
        ws = self.open()
        ws.send(encode_frame(OP_BINARY, b"abc", length=1 << 40))
        self.assert_closed_with(ws, 1009, timeout=3)

    def test_9_burst_of_64_kib_messages_echo_in_order(self):
        ws = self.open()
        payloads = [bytes([i]) * 65536 for i in range(64)]
        ws.send(b"".join(encode_frame(OP_BINARY, p) for p in payloads), timeout=20)
        for p in payloads:
            self.assert_echo(ws, OP_BINARY, p, timeout=10)

    def test_9_thousand_small_messages_echo_in_order(self):
        ws = self.open()
        payloads = [f"{i:04d}".encode() * 4 for i in range(1000)]
        ws.send(b"".join(encode_frame(OP_TEXT, p) for p in payloads))
        for p in payloads:
            self.assert_echo(ws, OP_TEXT, p)


# ------------------------------------------------------------------------- 12/13 compression

class Compression(EchoCase):

    def read_compressed_echo(self, ws, opcode, payload):
        msg = ws.read_message()  # inflates with a fresh context: server_no_context_takeover
        self.assertEqual(msg.opcode, opcode)
        self.assertEqual(msg.payload, payload)

    def test_12_compressed_messages_of_many_sizes_echo(self):
        ws = self.open_deflate()
        for n in [0, 1, 16, 64, 256, 1024, 4096, 16384, 65536, 262144]:
            with self.subTest(n=n):
                payload = (b"confab " * (n // 7 + 1))[:n]
                ws.send_compressed(OP_TEXT, payload)
                self.read_compressed_echo(ws, OP_TEXT, payload)

    def test_12_client_context_takeover_is_decoded(self):
        # The client keeps its LZ77 window across messages (no client_no_context_takeover);
        # later messages refer back into earlier ones.
        ws = self.open_deflate()
        comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        base = os.urandom(2000)
        for i in range(20):
            payload = base + b"%d" % i
            ws.send_frame(OP_BINARY, deflate_message(payload, comp), rsv1=True)
            self.read_compressed_echo(ws, OP_BINARY, payload)

    def test_12_server_frames_decode_without_server_context(self):
        ws = self.open_deflate()
        for i in range(5):
            payload = b"same text every time " * 50
            ws.send_compressed(OP_TEXT, payload)
            self.read_compressed_echo(ws, OP_TEXT, payload)  # fresh inflater every time

    def test_13_uncompressed_message_on_deflate_connection_echoes(self):
        ws = self.open_deflate()
        ws.send_text(b"plain")
        self.read_compressed_echo(ws, OP_TEXT, b"plain")

    def test_13_compressed_message_in_fragments_echoes(self):
        ws = self.open_deflate()
        payload = b"fragmented and compressed " * 200
        data = deflate_message(payload)
        third = len(data) // 3
        ws.send(encode_frame(OP_TEXT, data[:third], fin=False, rsv1=True)
                + encode_frame(OP_CONT, data[third:2 * third], fin=False)
                + encode_frame(OP_CONT, data[2 * third:]))
        self.read_compressed_echo(ws, OP_TEXT, payload)

    def test_13_rsv1_on_continuation_frame_is_1002(self):
        ws = self.open_deflate()
        data = deflate_message(b"x" * 100)
        ws.send(encode_frame(OP_TEXT, data[:3], fin=False, rsv1=True)
                + encode_frame(OP_CONT, data[3:], rsv1=True))
        self.assert_closed_with(ws, 1002)

    def test_13_rsv1_on_control_frame_is_1002(self):
        # RFC 7692 §6.1: control frames are never compressed.
        ws = self.open_deflate()
        ws.send_frame(OP_PING, b"compressed?", rsv1=True)
        self.assert_closed_with(ws, 1002)

    def test_13_compressed_invalid_utf8_text_is_1007(self):
        ws = self.open_deflate()
        ws.send_compressed(OP_TEXT, b"valid then \xed\xa0\x80")
        self.assert_closed_with(ws, 1007)

    def test_13_corrupt_deflate_stream_fails_the_connection(self):
        ws = self.open_deflate()
        ws.send_frame(OP_BINARY, b"\xff\xff\xff\xff garbage that is not deflate", rsv1=True)
        self.assert_closed_with(ws, (1002, 1007, 1011))

    def test_9_decompression_bomb_is_1009(self):
        ws = self.open_deflate()
        bomb = deflate_message(b"\0" * (16 * LIMIT))  # ~16 KiB on the wire
        self.assertLess(len(bomb), LIMIT // 8)
        ws.send_frame(OP_BINARY, bomb, rsv1=True)
        self.assert_closed_with(ws, 1009, timeout=10)

    def test_9_bomb_just_over_the_limit_is_1009_and_at_the_limit_echoes(self):
        ws = self.open_deflate()
        ws.send_compressed(OP_BINARY, b"\0" * LIMIT)
        msg = ws.read_message(10)
        self.assertEqual(msg.payload, b"\0" * LIMIT)
        ws.send_compressed(OP_BINARY, b"\0" * (LIMIT + 1))
        self.assert_closed_with(ws, 1009, timeout=10)


if __name__ == "__main__":
    unittest.main()
