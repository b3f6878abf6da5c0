"""Rooms the server writes — `resources/...` (resource changes) and `presence/...` (joins and
leaves) — can be watched by anyone and written by nobody else: a client that could publish
there could forge a resource change or a member leaving (docs/protocol.md, `forbidden`)."""
import json
import unittest
import urllib.error
import urllib.request

from harness_v1 import V1TestCase, unique


class ServerOwnedRooms(V1TestCase):
    server_telnet = True

    def test_v1_clients_may_join_but_not_publish(self):
        for room in (f"resources/{unique('books')}", f"presence/{unique('lobby')}"):
            async def go(room=room):
                c = await self.client("mallory")
                await c.join(room)
                err = await c.error_for({"type": "pub", "room": room, "qos": 1, "id": "forged",
                                         "data": {"event": "deleted"}, "ref": "p1"})
                self.assertEqual(err["code"], "forbidden")
                self.assertEqual(err.get("ref"), "p1")
                # Nothing was stored: the room's history stays empty.
                url = (f"http://127.0.0.1:{self.server.http_port}/api/rooms/{room}/messages")
                body = json.loads(urllib.request.urlopen(url, timeout=5).read())
                self.assertEqual(body["messages"], [])
            self.run_v1(go)

    def test_the_http_api_refuses_to_publish_there_with_403(self):
        room = f"presence/{unique('lobby')}"
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.server.http_port}/api/rooms/{room}/messages",
            data=json.dumps({"data": {"event": "leave"}, "qos": 1}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, timeout=5)
        self.assertEqual(caught.exception.code, 403)
        problem = json.loads(caught.exception.read())
        self.assertIn("written by the server only", problem["detail"])

    def test_a_plain_room_writer_is_closed_with_policy_violation(self):
        ws = self.ws_raw(f"/ws/rooms/resources/{unique('books')}")
        ws.send_text("forged change")
        self.assertEqual(ws.read_until_close().code, 1008)

    def test_telnet_lines_there_are_refused_with_a_message(self):
        tel = self.telnet_client(nick="tess")
        room = f"presence/{unique('lobby')}"
        tel.command(f"/join {room}", lambda t: f"joined #{room}" in t)
        tel.send_line("forged leave")
        tel.wait_contains("written by the server only")


if __name__ == "__main__":
    unittest.main()
