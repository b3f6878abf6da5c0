"""confab.v1 slow consumers: a member that stops reading during a QoS 1 flood is closed with 1013
while the others receive everything, and after a resume it has every message exactly once, in
order; a QoS 0 flood to a member that stops reading is shed instead (no close)."""

import json
import unittest

from confab_harness import OP_CLOSE, OP_TEXT, deadline_in
from harness_v1 import RawV1Socket, V1TestCase, seqs, unique

QUEUE_LIMIT = 16


class V1SlowConsumer(V1TestCase):
    # A long close timeout: the slow member reads its Close only after the flood, and the
    # test wants to see that Close rather than a bare TCP close.
    server_args = ("--send-queue-limit", str(QUEUE_LIMIT), "--close-timeout", "30s",
                   "--no-deflate")

    def slow_member(self, room: str, history: int = 0):
        """A raw confab.v1 member with a tiny receive buffer; returns (socket, session, joined,
        msgs that arrived with the join)."""
        slow = RawV1Socket.open_v1(self.server.http_port, rcvbuf=4096)
        self.addCleanup(slow.close)
        slow.send_json({"type": "hello", "nick": "slow"})
        welcome = slow.read_json()
        self.assertEqual(welcome["type"], "welcome", welcome)
        slow.send_json({"type": "join", "room": room, "history": history, "ref": "j"})
        got = slow.read_json_until(lambda m: m["type"] == "joined")
        joined = got[-1]
        return slow, welcome["session"], joined

    def read_slow_until_close(self, slow: RawV1Socket, timeout: float = 20):
        """Every text message the slow member still gets, then its Close frame (or None)."""
        deadline = deadline_in(timeout)
        msgs, close = [], None
        while True:
            f = slow.read_frame(deadline, allow_truncated=True)
            if f is None:
                break
            if f.opcode == OP_CLOSE:
                close = f
                break
            if f.opcode == OP_TEXT:
                msgs.append(json.loads(f.payload))
        return msgs, close

    def test_slow_member_is_closed_with_1013_and_resumes_every_qos1_message_once(self):
        room = unique("flood1")
        n, pad, window = 500, "x" * 16384, 64

        async def go():
            pub = await self.client("pub")
            await pub.join(room)
            await pub.publish(room, "m0", {"k": 0})
            fast = await self.client("fast")
            await fast.join(room, history=10)
            slow, slow_session, joined = self.slow_member(room, history=10)
            first = slow.read_json_until(lambda m: m["type"] == "msg")
            self.assertEqual(first[-1]["seq"], 1)
            epoch = joined["epoch"]
            # From here on the slow member does not read until the flood is over.
            acked = 0
            for k in range(1, n + 1):
                await pub.send({"type": "pub", "room": room, "id": f"m{k}",
                                "data": {"k": k, "pad": pad}})
                while k - acked >= window:  # bounded in-flight pubs: the pub reads its acks
                    ack = await pub.take(lambda m: m["type"] in ("ack", "error"), 10, "ack")
                    self.assertEqual(ack["type"], "ack", ack)
                    acked += 1
            while acked < n:
                ack = await pub.take(lambda m: m["type"] in ("ack", "error"), 10, "ack")
                self.assertEqual(ack["type"], "ack", ack)
                acked += 1
            final = n + 1
            for member in (fast, pub):
                got = await member.msgs_until_seq(room, final, timeout=20)
                self.assertEqual(seqs(got), list(range(1, final + 1)),
                                 f"{member.label} missed messages")
                self.assertFalse(member.closed.is_set(), f"{member.label} was closed")

            # The slow member reads again: a contiguous prefix, then Close 1013.
            msgs, close = self.read_slow_until_close(slow)
            self.assertIsNotNone(close, "no Close frame: the slow member was never closed with "
                                        "1013, or only its TCP connection was")
            self.assertEqual(close.close_code(), 1013)
            slow.send_close(1013)
            self.assertTrue(slow.wait_closed(10), "TCP not closed after the Close handshake")
            got = [1] + [m["seq"] for m in msgs if m["type"] == "msg"]
            self.assertLess(len(got), final, "the slow member got everything: no bound applied")
            self.assertEqual(got, list(range(1, len(got) + 1)),
                             "the slow member's messages before the close have a gap")

            # Resume from the last seq it processed: the rest, exactly once.
            again = await self.client("slow", session=slow_session)
            resumed = await again.join(room, since=got[-1], epoch=epoch)
            self.assertIs(resumed["recovered"], True, resumed)
            rest = await again.msgs_until_seq(room, final, timeout=20)
            self.assertEqual(got + seqs(rest), list(range(1, final + 1)))
            self.assertEqual([m["data"]["k"] for m in rest], list(range(got[-1], final)))
            await again.sync()
            self.assertEqual([m for m in again.inbox if m["type"] == "msg"], [])
        self.run_v1(go, timeout=50)

    def test_qos0_flood_to_a_member_that_stops_reading_is_shed_without_closing(self):
        room = unique("flood0")
        n, pad = 2000, "y" * 4096

        async def go():
            pub = await self.client("pub")
            await pub.join(room)
            slow, _, _ = self.slow_member(room)
            # The slow member does not read while the flood runs.
            for k in range(n):
                await pub.send({"type": "pub", "room": room, "qos": 0,
                                "data": {"k": k, "pad": pad}})
            # A qos 1 message after the flood must still reach the slow member: its queue sheds
            # qos 0 to make room.
            marker = await pub.publish(room, "marker", {"end": True}, timeout=20)
            await pub.sync()

            deadline = deadline_in(20)
            q0, q1, close = [], [], None
            while not q1:
                f = slow.read_frame(deadline, allow_truncated=True)
                if f is None or f.opcode == OP_CLOSE:
                    close = f
                    break
                if f.opcode != OP_TEXT:
                    continue
                m = json.loads(f.payload)
                if m["type"] == "msg":
                    (q1 if m["qos"] == 1 else q0).append(m)
            self.assertEqual(q1 and q1[0].get("seq"), marker["seq"],
                             f"the slow member was closed ({close and close.close_code()}) "
                             f"or lost the qos 1 marker after a qos 0 flood")
            ks = [m["data"]["k"] for m in q0]
            self.assertLess(len(ks), n, "no qos 0 message was shed for a member not reading")
            self.assertEqual(ks, sorted(set(ks)), "qos 0 messages reordered or repeated")
            # Still open and usable.
            slow.send_json({"type": "ping", "ref": "after"})
            rest = slow.read_json_until(lambda m: m["type"] == "pong", timeout=10)
            self.assertEqual(rest[-1], {"type": "pong", "ref": "after"})
        self.run_v1(go, timeout=50)


if __name__ == "__main__":
    unittest.main()
