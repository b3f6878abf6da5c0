"""confab.v1 session ids are secret (docs/protocol.md, "Session ids are secret"): a session id is
a bearer credential (a hello with it takes over the identity and its QoS 1 idempotency keys),
so only its own welcome carries it. Everything other people see — msg.from, presence,
members, the HTTP API, stored history and the presence feed — carries the public member id
derived from it, which grants nothing: saying hello with it is another identity, and cannot
make a victim's next publish be acked as a duplicate and never delivered."""

import hashlib
import json
import re
import time
import unittest
import urllib.request

from confab_harness import deadline_in
from harness_v1 import V1TestCase, unique

MEMBER_ID_RE = re.compile(r"m-[0-9a-f]{16}")


def member_id_of(session: str) -> str:
    """The derivation docs/protocol.md specifies, computed independently of the server."""
    digest = hashlib.sha256(b"confab.v1 member\n" + session.encode()).hexdigest()
    return "m-" + digest[:16]


class SessionSecrecy(V1TestCase):

    def api_get(self, path: str):
        url = f"http://127.0.0.1:{self.server.http_port}{path}"
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode()

    def api_get_until(self, path: str, pred, what: str):
        """GETs path until pred(parsed body) holds (the stored feed is written asynchronously)."""
        deadline = deadline_in(5)
        while True:
            text = self.api_get(path)
            if pred(json.loads(text)):
                return text
            if time.monotonic() > deadline:
                self.fail(f"no {what} in {path}: {text}")
            time.sleep(0.02)

    def test_the_welcome_gives_the_session_and_its_public_member_id(self):
        async def go():
            a = await self.client("alice")
            self.assertEqual(a.welcome["member"],
                             {"nick": "alice", "session": member_id_of(a.session), "via": "ws"})
            self.assertTrue(MEMBER_ID_RE.fullmatch(a.member_id), a.welcome)
            # Fields in the documented order: member right after nick.
            self.assertEqual(list(a.welcome)[:4], ["type", "session", "nick", "member"])
            # The same session is the same member, whatever the nick; another is another.
            again = await self.client("alicia", session=a.session)
            self.assertEqual(again.member_id, a.member_id)
            self.assertEqual(again.welcome["member"]["nick"], "alicia")
            other = await self.client("alice")
            self.assertNotEqual(other.member_id, a.member_id)
        self.run_v1(go)

    def test_a_session_id_reaches_no_other_member_nor_the_api_nor_history(self):
        room = unique("secret")

        async def go():
            b = await self.client("bob")
            await b.join(room)
            a = await self.client("alice")
            await a.join(room)
            await b.take(lambda m: m["type"] == "presence" and m["member"]["nick"] == "alice",
                         what="presence of alice")
            await a.publish(room, "c-1", {"text": "stored"})
            await a.send({"type": "pub", "room": room, "qos": 0, "data": {"text": "fan-out"}})
            got = await b.msgs(room, 2)
            self.assertEqual([m["from"] for m in got],
                             [{"nick": "alice", "session": a.member_id, "via": "ws"}] * 2)
            listed = await b.reply({"type": "members", "room": room}, "members")
            self.assertIn({"nick": "alice", "session": a.member_id, "via": "ws"},
                          listed["members"])
            late = await self.client("carol")
            await late.join(room, history=10)
            replayed = await late.msgs_until_seq(room, 1)
            self.assertEqual(replayed[0]["from"]["session"], a.member_id)
            await a.reply({"type": "leave", "room": room}, "left")
            ev = await b.take_type("presence", room=room, event="leave")
            self.assertEqual(ev["member"]["session"], a.member_id)
            await b.sync()
            await late.sync()

            seen = {"bob's frames": json.dumps(b.log), "carol's frames": json.dumps(late.log),
                    # Alice's own frames too: only her welcome carries her session id.
                    "alice's frames but the welcome":
                        json.dumps([m for m in a.log if m["type"] != "welcome"])}
            await a.join(room)  # back in, so that the members API lists her
            await b.take(lambda m: m["type"] == "presence" and m["event"] == "join"
                         and m["member"]["nick"] == "alice", what="alice back")
            seen["GET members"] = self.api_get(f"/api/rooms/{room}/members")
            seen["GET messages"] = self.api_get_until(
                f"/api/rooms/{room}/messages", lambda body: body["messages"], "messages")
            seen["GET presence feed"] = self.api_get_until(
                f"/api/rooms/presence/{room}/messages",
                lambda body: len(body["messages"]) >= 4, "presence events")
            for where, text in seen.items():
                self.assertNotIn(a.session, text, f"alice's session id leaked into {where}")
            for where in ("bob's frames", "GET members", "GET messages", "GET presence feed"):
                self.assertIn(a.member_id, seen[where], f"alice is not named in {where}")
        self.run_v1(go)

    def test_a_public_member_id_cannot_make_a_victims_publish_a_duplicate(self):
        # The attack: take the victim's from.session out of a msg, say hello with it, and
        # publish with the victim's next id first. Before session ids were secret, that was
        # the victim's identity: its real publish was acked duplicate:true and never delivered.
        room = unique("forge")

        async def go():
            victim = await self.client("alice")
            await victim.join(room)
            attacker = await self.client("mallory")
            await attacker.join(room)
            await victim.publish(room, "c-1", {"text": "first"})
            seen = (await attacker.msgs(room, 1))[0]
            stolen = seen["from"]["session"]

            forger = await self.client("alice", session=stolen)
            await forger.join(room)
            forged = await forger.publish(room, "c-2", {"text": "forged"})
            self.assertFalse(forged["duplicate"])

            real = await victim.publish(room, "c-2", {"text": "real"})
            self.assertEqual((real["duplicate"], real["seq"]), (False, forged["seq"] + 1),
                             f"the victim's publish was suppressed: {real}")
            self.assertNotEqual(forger.member_id, victim.member_id,
                                "hello with a public member id took over the member")
            got = await attacker.msgs_until_seq(room, real["seq"])
            by_seq = {m["seq"]: m for m in got}
            self.assertEqual(by_seq[real["seq"]]["data"], {"text": "real"})
            self.assertEqual(by_seq[real["seq"]]["from"]["session"], victim.member_id)
            self.assertEqual(by_seq[forged["seq"]]["from"]["session"], forger.member_id)
        self.run_v1(go)

    def test_the_session_id_still_deduplicates_its_own_republish(self):
        room = unique("own")

        async def go():
            sub = await self.client("sub")
            await sub.join(room)
            pub = await self.client("pub")
            await pub.join(room)
            first = await pub.publish(room, "d-1", {"text": "once"})
            pub.abort()  # the ack may be lost with the connection: the client re-publishes
            await pub.close()
            again = await self.client("pub", session=pub.session)
            self.assertEqual(again.member_id, pub.member_id)
            await again.join(room)
            dup = await again.publish(room, "d-1", {"text": "once"})
            self.assertEqual((dup["duplicate"], dup["seq"]), (True, first["seq"]))
            nxt = await again.publish(room, "d-2", {"text": "next"})
            got = await sub.msgs_until_seq(room, nxt["seq"])
            self.assertEqual([(m["id"], m["from"]["session"]) for m in got],
                             [("d-1", pub.member_id), ("d-2", pub.member_id)])
        self.run_v1(go)


if __name__ == "__main__":
    unittest.main()
