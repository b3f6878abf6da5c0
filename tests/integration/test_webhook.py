"""--webhook: a backend receives room.occupied, member.left and room.vacated as signed JSON
POSTs, in order, with retries and a bounded queue (docs/http-api.md, "Webhook"). Each test
runs its own receiver (http.server on 127.0.0.1:0, in a thread) and its own server."""

import hashlib
import hmac
import http.server
import json
import re
import signal
import threading
import time
import unittest
import urllib.request
from typing import Callable, List, Optional

from confab_harness import ConfabServer, ConfabTestCase, ServerStartError, deadline_in, remaining, run_async, scaled
from harness_v1 import RawV1Socket, V1Client, unique

PING = ("--ping-interval", "300ms", "--pong-timeout", "300ms")


class Post:
    """One POST the receiver got, and the status it answered."""

    def __init__(self, headers, body: bytes, status, peer_port: int):
        self.headers = headers
        self.peer_port = peer_port  # the webhook's local port: one per connection
        self.body = body
        self.status = status
        self.events = json.loads(body)["events"]

    def answered_2xx(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300


STALL = "stall"  # a plan entry: read the request, never answer (until the receiver closes)


class WebhookReceiver:
    """An HTTP/1.1 server (a thread per connection) that records every POST. It answers the
    statuses in `plan` first (or STALLs), then 200. Bound at once (so its URL is known);
    `up()` starts accepting: until then connections are refused."""

    def __init__(self, plan=()):
        self.plan = list(plan)
        self.posts: List[Post] = []
        self.changed = threading.Condition()
        self.closing = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the webhook expects

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.changed:
                    status = receiver.plan.pop(0) if receiver.plan else 200
                    receiver.posts.append(Post(self.headers, body, status, self.client_address[1]))
                    receiver.changed.notify_all()
                if status == STALL:
                    receiver.closing.wait(10)
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # the server going away mid-connection is part of these tests

        self.httpd = Server(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.httpd.server_bind()
        self.port = self.httpd.server_address[1]
        self.thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return self.url_via("127.0.0.1")

    def url_via(self, host: str) -> str:
        return f"http://{host}:{self.port}/hooks/confab?src=test"

    def up(self) -> "WebhookReceiver":
        self.httpd.server_activate()
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def close(self) -> None:
        self.closing.set()
        if self.thread is not None:
            self.httpd.shutdown()
            self.thread.join(5)
        self.httpd.server_close()

    def delivered(self) -> List[dict]:
        """Events of the POSTs answered 2xx, in arrival order."""
        with self.changed:
            return self._delivered(self.posts)

    def wait(self, pred: Callable[[List[dict]], bool], timeout: float = 5.0, what: str = "") -> List[dict]:
        """Waits until pred(delivered events) holds; returns those events."""
        self.wait_posts(lambda posts: pred(self._delivered(posts)), timeout, what)
        return self.delivered()

    def wait_posts(self, pred: Callable[[List[Post]], bool], timeout: float = 5.0, what: str = "") -> None:
        deadline = deadline_in(timeout)
        with self.changed:
            while not pred(self.posts):
                left = remaining(deadline)
                if left <= 0:
                    got = [(p.status, p.events) for p in self.posts]
                    raise AssertionError(f"webhook: no {what} within {timeout}s; got: {got}")
                self.changed.wait(left)

    @staticmethod
    def _delivered(posts: List[Post]) -> List[dict]:
        return [e for p in posts if p.answered_2xx() for e in p.events]


def in_room(events: List[dict], room: str) -> List[dict]:
    return [e for e in events if e["room"] == room]


def kinds(events: List[dict]) -> List[str]:
    return [e["type"] for e in events]


def has_vacated(room: str) -> Callable[[List[dict]], bool]:
    return lambda events: "room.vacated" in kinds(in_room(events, room))


def metric(server, name: str) -> int:
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics", timeout=5).read().decode()
    m = re.search(rf"^{re.escape(name)} (\d+)$", text, re.M)
    if m is None:
        raise AssertionError(f"{name} missing from /metrics:\n{text}")
    return int(m.group(1))


class Webhook(ConfabTestCase):
    per_test_server = True

    def setUp(self):
        pass  # every test starts its own receiver first, then a server pointed at it

    def receiver(self, plan=(), up=True) -> WebhookReceiver:
        r = WebhookReceiver(plan)
        self.addCleanup(r.close)
        return r.up() if up else r

    def serve(self, receiver: WebhookReceiver, *args, host: str = "127.0.0.1"):
        # The harness runs two event loops (--threads 2): rooms span loops.
        server = self.start_server(("--webhook", receiver.url_via(host)) + tuple(args))
        self.server = server
        return server

    def join_plain(self, room: str):
        return self.ws_raw(f"/ws/rooms/{room}")

    def leave_plain(self, ws) -> None:
        ws.send_close(1000)
        ws.read_until_close()

    # -- what a backend is told

    def test_a_websocket_member_joining_and_leaving_is_occupied_left_vacated(self):
        r = self.receiver()
        self.serve(r)
        room = unique("hook")
        ws = self.join_plain(room)
        r.wait(lambda ev: "room.occupied" in kinds(in_room(ev, room)), what="room.occupied")
        self.leave_plain(ws)
        events = in_room(r.wait(has_vacated(room), what="room.vacated"), room)
        self.assertEqual(kinds(events), ["room.occupied", "member.left", "room.vacated"])
        left = events[1]
        self.assertEqual(left["member"]["via"], "ws")
        self.assertTrue(left["member"]["nick"].startswith("web-"), left)
        self.assertNotIn("session", left["member"], "plain-room members have no session id")
        self.assertEqual(left["reason"], "closed")
        for e in events:
            self.assertRegex(e["id"], r"^[0-9a-f]{16}-\d+$")
            self.assertEqual(e["id"], e["id"].rsplit("-", 1)[0] + "-" + str(e["seq"]))
            self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual([e["seq"] for e in events], sorted(e["seq"] for e in events))
        self.assertEqual(len({e["id"] for e in events}), 3, "event ids must be unique")
        post = r.posts[0]
        self.assertEqual(post.headers["Content-Type"], "application/json")
        self.assertIsNone(post.headers.get("X-Confab-Signature"), "signed without a secret")
        self.assertGreaterEqual(len(r.posts), 2)
        self.assertEqual(len({p.peer_port for p in r.posts}), 1, "the connection was not kept alive")

    def test_a_telnet_user_who_quits_is_reported_with_its_session(self):
        r = self.receiver()
        self.serve(r)
        room = unique("tel")
        tc = self.telnet_client(nick="tina", server=self.server)
        tc.command(f"/join {room}", lambda t: f"joined #{room}" in t)
        tc.send_line("/quit")
        events = in_room(r.wait(has_vacated(room), what="room.vacated"), room)
        self.assertEqual(kinds(events), ["room.occupied", "member.left", "room.vacated"])
        member = events[1]["member"]
        self.assertEqual((member["nick"], member["via"]), ("tina", "telnet"))
        self.assertTrue(member["session"].startswith("telnet-"), member)
        self.assertEqual(events[1]["reason"], "left")
        # Leaving the first room for another one is a member.left too.
        lobby = in_room(r.delivered(), "lobby")
        self.assertIn("member.left", kinds(lobby))

    def test_a_dead_peer_found_by_the_ping_timeout_is_reported_with_reason_timeout(self):
        r = self.receiver()
        self.serve(r, *PING)
        room = unique("dead")
        silent = self.join_plain(room)  # completes the handshake, then never answers a ping
        started = time.monotonic()
        events = in_room(r.wait(has_vacated(room), timeout=6, what="room.vacated"), room)
        self.assertLess(time.monotonic() - started, scaled(3.0), "dead peer reported too late")
        self.assertEqual(kinds(events), ["room.occupied", "member.left", "room.vacated"])
        self.assertEqual(events[1]["reason"], "timeout")
        del silent

    def test_a_slow_consumer_is_reported_with_reason_slow_consumer(self):
        r = self.receiver()
        # The slow member never answers the 1013 Close: a short --close-timeout ends it.
        self.serve(r, "--send-queue-limit", "16", "--close-timeout", "300ms", "--no-deflate")
        room = unique("slow")
        slow = RawV1Socket.open_v1(self.server.http_port, rcvbuf=4096)
        self.addCleanup(slow.close)
        slow.send_json({"type": "hello", "nick": "slowpoke"})
        slow.read_json()
        slow.send_json({"type": "join", "room": room, "ref": "j"})
        slow.read_json_until(lambda m: m["type"] == "joined")

        def gone(events):
            return any(e["type"] == "member.left" and e["member"]["nick"] == "slowpoke"
                       for e in in_room(events, room))

        async def flood():  # QoS 1 messages the slow member never reads, until it is dropped
            pub = await V1Client.connect(self.server.http_port, "pub")
            await pub.join(room)
            acked, pad = 0, "x" * 16384
            for k in range(1, 401):
                await pub.send({"type": "pub", "room": room, "id": f"m{k}", "data": {"pad": pad}})
                while k - acked >= 32:
                    await pub.take(lambda m: m["type"] in ("ack", "error"), 10, "ack")
                    acked += 1
                if gone(r.delivered()):
                    break
            await pub.close()
        run_async(flood())
        events = in_room(r.wait(gone, timeout=8, what="the slow member's member.left"), room)
        left = [e for e in events if e["type"] == "member.left" and e["member"]["nick"] == "slowpoke"]
        self.assertEqual(left[0]["reason"], "slow-consumer")

    def test_a_room_is_vacated_only_when_its_last_member_leaves_on_any_loop(self):
        r = self.receiver()
        self.serve(r)
        room = unique("loops")
        # Accepted connections go to the loops round-robin: two in a row sit on different loops.
        a = self.join_plain(room)
        b = self.join_plain(room)
        self.leave_plain(a)
        r.wait(lambda ev: kinds(in_room(ev, room)).count("member.left") == 1, what="the first leave")
        self.leave_plain(b)
        events = in_room(r.wait(has_vacated(room), what="room.vacated"), room)
        self.assertEqual(kinds(events), ["room.occupied", "member.left", "member.left", "room.vacated"])

    def test_a_confab_v1_leave_names_the_public_member_id_and_reason_left(self):
        r = self.receiver()
        self.serve(r)
        room = unique("v1")
        async def go():
            c = await V1Client.connect(self.server.http_port, "vera")
            await c.join(room)
            await c.reply({"type": "leave", "room": room}, "left")
            await c.close()
            return c
        vera = run_async(go())
        events = in_room(r.wait(has_vacated(room), what="room.vacated"), room)
        self.assertEqual(kinds(events), ["room.occupied", "member.left", "room.vacated"])
        self.assertEqual(events[1]["member"]["nick"], "vera")
        # The public member id, never the session id (a credential; docs/protocol.md).
        self.assertEqual(events[1]["member"]["session"], vera.member_id, events[1])
        self.assertNotEqual(events[1]["member"]["session"], vera.session)
        self.assertEqual(events[1]["reason"], "left")

    # -- how it is delivered

    def test_the_signature_is_the_hmac_sha256_of_the_body(self):
        secret = "s3cret-for-tests"
        r = self.receiver()
        self.serve(r, "--webhook-secret", secret, host="localhost")  # a name: resolved
        room = unique("sig")
        self.leave_plain(self.join_plain(room))
        r.wait(has_vacated(room), what="room.vacated")
        for post in r.posts:
            expected = "sha256=" + hmac.new(secret.encode(), post.body, hashlib.sha256).hexdigest()
            self.assertEqual(post.headers["X-Confab-Signature"], expected)
        forged = "sha256=" + hmac.new(b"wrong", r.posts[0].body, hashlib.sha256).hexdigest()
        self.assertNotEqual(r.posts[0].headers["X-Confab-Signature"], forged)

    def test_a_500_is_retried_with_the_same_events_and_delivered_once(self):
        r = self.receiver(plan=[500])
        self.serve(r)
        room = unique("retry")
        self.leave_plain(self.join_plain(room))
        events = in_room(r.wait(has_vacated(room), what="room.vacated"), room)
        self.assertEqual(kinds(events), ["room.occupied", "member.left", "room.vacated"])
        failed, retried = r.posts[0], r.posts[1]
        self.assertEqual(failed.status, 500)
        self.assertEqual(retried.status, 200)
        self.assertEqual(retried.body, failed.body, "a retry must carry the same events, byte for byte")
        ids = [e["id"] for e in r.delivered()]
        self.assertEqual(len(ids), len(set(ids)), "an event was delivered twice")
        self.assertGreaterEqual(metric(self.server, "confab_webhook_failed_posts_total"), 1)

    def test_a_receiver_that_does_not_answer_in_time_gets_the_same_events_again(self):
        r = self.receiver(plan=[STALL])
        self.serve(r, "--webhook-timeout", "300ms")
        room = unique("slow")
        self.leave_plain(self.join_plain(room))
        started = time.monotonic()
        events = in_room(r.wait(has_vacated(room), what="room.vacated"), room)
        self.assertEqual(kinds(events), ["room.occupied", "member.left", "room.vacated"])
        stalled, retried = r.posts[0], r.posts[1]
        self.assertEqual(stalled.status, STALL)
        self.assertEqual(retried.body, stalled.body)
        self.assertLess(time.monotonic() - started, scaled(3.0), "the timeout did not cut the POST short")
        self.assertGreaterEqual(metric(self.server, "confab_webhook_failed_posts_total"), 1)

    def test_a_4xx_is_not_retried(self):
        r = self.receiver(plan=[400])
        self.serve(r)
        first, second = unique("refused"), unique("after")
        self.leave_plain(self.join_plain(first))
        r.wait_posts(lambda posts: any(p.status == 400 for p in posts), what="the refused POST")
        self.leave_plain(self.join_plain(second))
        r.wait(has_vacated(second), what="the next room's events")
        refused = [e["id"] for p in r.posts if p.status == 400 for e in p.events]
        resent = [e["id"] for p in r.posts if p.status == 200 for e in p.events]
        self.assertTrue(refused)
        self.assertFalse(set(refused) & set(resent), "a refused batch was sent again")
        self.assertEqual(metric(self.server, "confab_webhook_events_refused_total"), len(refused))

    def test_events_wait_for_a_receiver_that_is_down_and_arrive_in_order(self):
        r = self.receiver(up=False)
        self.serve(r)
        rooms = [unique("down") for _ in range(3)]
        for room in rooms:
            self.leave_plain(self.join_plain(room))
        # Come up only once the server has found the receiver down.
        deadline = deadline_in(5)
        while metric(self.server, "confab_webhook_failed_posts_total") < 2 and remaining(deadline) > 0:
            time.sleep(0.02)
        r.up()
        events = r.wait(has_vacated(rooms[-1]), timeout=8, what="the last room.vacated")
        for room in rooms:
            self.assertEqual(kinds(in_room(events, room)), ["room.occupied", "member.left", "room.vacated"])
        seqs = [e["seq"] for e in events]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)), "events out of order or missing")
        self.assertEqual(metric(self.server, "confab_webhook_events_dropped_total"), 0)

    def test_a_full_queue_drops_the_oldest_events_and_counts_them(self):
        r = self.receiver(up=False)
        self.serve(r, "--webhook-queue", "4")
        rooms = [unique("full") for _ in range(4)]  # 12 events
        for room in rooms:
            self.leave_plain(self.join_plain(room))
        # The feed numbers every event, dropped or not: wait until all 12 were queued.
        deadline = deadline_in(5)
        while metric(self.server, "confab_webhook_events_dropped_total") + \
                metric(self.server, "confab_webhook_queued_events") < 11 and remaining(deadline) > 0:
            time.sleep(0.02)
        r.up()
        events = r.wait(has_vacated(rooms[-1]), timeout=8, what="the newest event")
        seqs = [e["seq"] for e in events]
        dropped = metric(self.server, "confab_webhook_events_dropped_total")
        self.assertGreater(dropped, 0)
        self.assertEqual(seqs, sorted(seqs), "events out of order")
        self.assertEqual(seqs[-4:], list(range(9, 13)), "the newest events must survive")
        self.assertEqual(len(seqs) + dropped, 12, "every event is either delivered or counted dropped")
        self.assertIn("webhook: queue full", self.server.logs())

    # -- start and stop

    def test_shutdown_reports_the_members_still_connected(self):
        r = self.receiver()
        server = self.serve(r)
        room = unique("bye")
        ws = self.join_plain(room)
        r.wait(lambda ev: "room.occupied" in kinds(in_room(ev, room)), what="room.occupied")
        t0 = time.monotonic()
        server.send_signal(signal.SIGTERM)
        ws.read_until_close()
        ws.send_close(1001)  # answer the server's Close: the leave follows at once
        ws.close()
        self.assertEqual(server.wait_exit(scaled(5)), 0)
        self.assertLess(time.monotonic() - t0, scaled(5))
        events = in_room(r.delivered(), room)
        self.assertEqual(kinds(events), ["room.occupied", "member.left", "room.vacated"])
        self.assertEqual(events[1]["reason"], "shutdown")

    def test_a_receiver_that_is_down_does_not_hold_up_shutdown(self):
        r = self.receiver(up=False)
        server = self.serve(r)
        self.leave_plain(self.join_plain(unique("stuck")))
        t0 = time.monotonic()
        server.send_signal(signal.SIGTERM)
        self.assertEqual(server.wait_exit(scaled(5)), 0, "still running 5 s after SIGTERM")
        self.assertLess(time.monotonic() - t0, scaled(4.0))
        self.assertIn("not delivered", server.logs())

    def test_an_https_url_is_a_clear_start_up_error(self):
        with self.assertRaises(ServerStartError) as caught:
            ConfabServer(("--webhook", "https://example.com/hook")).start()
        self.assertIn("https is not supported yet", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
