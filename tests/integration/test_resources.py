"""The resources API (/api/resources, docs/http-api.md "Resources"): every endpoint and error
status over real HTTP (urllib, raw sockets where urllib cannot), conditional writes with
concurrent writers, and the QoS 1 events that confab.v1 subscribers of resources/{collection}
and resources/{collection}/{id} receive, including a resume after a disconnect."""

import asyncio
import json
import os
import threading
import unittest
import urllib.error
import urllib.request

import websockets

from confab_harness import (ConfabTestCase, build_request, deadline_in, read_http_response,
                            remaining, run_async, scaled)

JSON = "application/json"
MERGE = "application/merge-patch+json"


def unique(prefix: str) -> str:
    """A collection or id no other test uses (tests share one server per class)."""
    return f"{prefix}-{os.urandom(4).hex()}"


class Response:
    def __init__(self, status, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def call(port, method, path, body=None, content_type=JSON, headers=None, timeout=5.0):
    """One HTTP request with urllib; any status comes back as a Response (never raises)."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", content_type)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=scaled(timeout)) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


# ----------------------------------------------------------------------------- a subscriber


class Subscriber:
    """A confab.v1 connection that keeps every server message; `take` waits for one."""

    def __init__(self, ws):
        self.ws = ws
        self.inbox = []

    @classmethod
    async def connect(cls, port, nick="watcher", session=None):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["confab.v1"],
                                      open_timeout=scaled(5), close_timeout=scaled(2),
                                      ping_interval=None, max_size=8 << 20)
        assert ws.subprotocol == "confab.v1", ws.subprotocol
        sub = cls(ws)
        hello = {"type": "hello", "nick": nick}
        if session:
            hello["session"] = session
        await sub.send(hello)
        sub.welcome = await sub.take(lambda m: m["type"] == "welcome")
        return sub

    async def send(self, obj):
        await self.ws.send(json.dumps(obj))

    async def take(self, pred, timeout=5.0):
        deadline = deadline_in(timeout)
        while True:
            for i, m in enumerate(self.inbox):
                if pred(m):
                    return self.inbox.pop(i)
            left = remaining(deadline)
            if left <= 0:
                raise AssertionError(f"timed out; inbox: {self.inbox[-5:]}")
            raw = await asyncio.wait_for(self.ws.recv(), left)
            self.inbox.append(json.loads(raw))

    async def join(self, room, **fields):
        await self.send(dict({"type": "join", "room": room, "ref": room}, **fields))
        return await self.take(lambda m: m["type"] in ("joined", "error") and m.get("ref") == room)

    async def events(self, room, count, timeout=10.0):
        """The next `count` msgs of `room`, in arrival order."""
        return [await self.take(lambda m: m["type"] == "msg" and m["room"] == room, timeout)
                for _ in range(count)]

    async def close(self):
        await self.ws.close()


def in_thread(fn, *args):
    """Runs a blocking call (urllib) off the event loop so the subscriber keeps reading."""
    return asyncio.get_running_loop().run_in_executor(None, fn, *args)


# ----------------------------------------------------------------------------- the API


class ResourcesCase(ConfabTestCase):

    def req(self, method, path, body=None, **kw):
        return call(self.server.http_port, method, "/api/resources" + path, body, **kw)

    def put(self, path, doc, **kw):
        return self.req("PUT", path, doc, **kw)


class ResourceEndpoints(ResourcesCase):

    def test_post_creates_with_a_server_id_location_and_etag(self):
        coll = unique("books")
        r = self.req("POST", f"/{coll}", {"title": "Dune"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.header("ETag"), '"v1"')
        location = r.header("Location")
        self.assertTrue(location.startswith(f"/api/resources/{coll}/"), location)
        self.assertEqual(r.json(), {"title": "Dune"})
        got = call(self.server.http_port, "GET", location)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.json(), {"title": "Dune"})
        other = self.req("POST", f"/{coll}", {"title": "Emma"})
        self.assertNotEqual(other.header("Location"), location)

    def test_put_creates_then_replaces_with_increasing_versions(self):
        path = f"/{unique('books')}/dune"
        r = self.put(path, {"title": "Dune"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.header("Location"), "/api/resources" + path)
        self.assertEqual(r.header("ETag"), '"v1"')
        r = self.put(path, {"title": "Dune", "year": 1965})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("ETag"), '"v2"')
        self.assertIsNone(r.header("Location"))
        got = self.req("GET", path)
        self.assertEqual((got.status, got.header("ETag")), (200, '"v2"'))
        self.assertEqual(got.json(), {"title": "Dune", "year": 1965})

    def test_get_with_if_none_match_is_304_and_head_has_no_body(self):
        path = f"/{unique('books')}/dune"
        self.put(path, {"a": 1})
        r = self.req("GET", path, headers={"If-None-Match": '"v1"'})
        self.assertEqual(r.status, 304)
        self.assertEqual(r.header("ETag"), '"v1"')
        self.assertEqual(r.body, b"")
        r = self.req("GET", path, headers={"If-None-Match": 'W/"v1"'})  # weak comparison
        self.assertEqual(r.status, 304)
        r = self.req("GET", path, headers={"If-None-Match": '"v7", "v9"'})
        self.assertEqual(r.status, 200)
        r = self.req("HEAD", path)
        self.assertEqual((r.status, r.header("ETag"), r.body), (200, '"v1"', b""))

    def test_patch_is_a_json_merge_patch(self):
        path = f"/{unique('books')}/dune"
        self.put(path, {"title": "Dune", "draft": True, "meta": {"a": 1, "b": {"c": 2, "d": 3}},
                        "tags": ["x", "y"]})
        r = self.req("PATCH", path, {"draft": None, "meta": {"b": {"d": None, "e": 4}},
                                     "tags": ["z"], "author": "Herbert"}, content_type=MERGE)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("ETag"), '"v2"')
        want = {"title": "Dune", "meta": {"a": 1, "b": {"c": 2, "e": 4}}, "tags": ["z"],
                "author": "Herbert"}
        self.assertEqual(r.json(), want)
        self.assertEqual(self.req("GET", path).json(), want)
        # application/json is accepted too.
        r = self.req("PATCH", path, {"year": 1965}, content_type="application/json; charset=utf-8")
        self.assertEqual((r.status, r.header("ETag")), (200, '"v3"'))

    def test_delete_is_204_then_404(self):
        path = f"/{unique('books')}/dune"
        self.put(path, {})
        r = self.req("DELETE", path)
        self.assertEqual((r.status, r.body), (204, b""))
        self.assertEqual(self.req("GET", path).status, 404)
        self.assertEqual(self.req("DELETE", path).status, 404)
        self.assertEqual(self.req("PATCH", path, {"a": 1}, content_type=MERGE).status, 404)
        # Re-created: the version continues, so no old ETag can match it.
        r = self.put(path, {})
        self.assertEqual((r.status, r.header("ETag")), (201, '"v3"'))

    def test_collection_pages_in_id_order(self):
        coll = unique("books")
        ids = [f"b{i:02d}" for i in range(7)]
        for i in reversed(ids):
            self.put(f"/{coll}/{i}", {"id": i})
        self.req("DELETE", f"/{coll}/b03")
        seen, after, pages = [], None, 0
        while True:
            q = "?limit=2" + (f"&after={after}" if after else "")
            r = self.req("GET", f"/{coll}{q}")
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertEqual(page["collection"], coll)
            for item in page["items"]:
                self.assertEqual(item["doc"], {"id": item["id"]})
                self.assertEqual(item["version"], 1)
            seen += [item["id"] for item in page["items"]]
            pages += 1
            if "next_after" not in page:
                break
            after = page["next_after"]
        self.assertEqual(seen, [i for i in ids if i != "b03"])
        self.assertEqual(pages, 3)
        self.assertEqual(self.req("GET", f"/{unique('empty')}").json()["items"], [])
        self.assertEqual(len(self.req("GET", f"/{coll}").json()["items"]), 6)  # default 100


class ResourceConditions(ResourcesCase):

    def test_if_match_with_a_stale_etag_is_412_and_changes_nothing(self):
        path = f"/{unique('books')}/dune"
        self.put(path, {"v": 1})
        self.put(path, {"v": 2})
        for method, body, ctype in (("PUT", {"v": 3}, JSON), ("PATCH", {"v": 3}, MERGE),
                                    ("DELETE", None, JSON)):
            r = self.req(method, path, body, content_type=ctype, headers={"If-Match": '"v1"'})
            self.assertEqual(r.status, 412, method)
            self.assertEqual(r.header("Content-Type"), "application/problem+json")
            self.assertEqual(r.header("ETag"), '"v2"')
        r = self.req("PUT", path, {"v": 3}, headers={"If-Match": '"v2"'})
        self.assertEqual((r.status, r.header("ETag")), (200, '"v3"'))
        # A weak tag never matches If-Match (strong comparison, RFC 9110 §13.1.1).
        self.assertEqual(self.req("PUT", path, {}, headers={"If-Match": 'W/"v3"'}).status, 412)
        self.assertEqual(self.req("GET", path).json(), {"v": 3})

    def test_if_match_on_a_missing_resource_is_412(self):
        path = f"/{unique('books')}/ghost"
        self.assertEqual(self.req("PUT", path, {}, headers={"If-Match": '"v1"'}).status, 412)
        self.assertEqual(self.req("PUT", path, {}, headers={"If-Match": "*"}).status, 412)
        self.assertEqual(self.req("PATCH", path, {}, content_type=MERGE,
                                  headers={"If-Match": '"v1"'}).status, 412)
        self.assertEqual(self.req("DELETE", path, headers={"If-Match": '"v1"'}).status, 412)
        self.assertEqual(self.req("GET", path, headers={"If-Match": '"v1"'}).status, 412)
        self.assertEqual(self.req("GET", path).status, 404)

    def test_put_with_if_none_match_star_creates_only_if_absent(self):
        path = f"/{unique('books')}/dune"
        r = self.put(path, {"first": True}, headers={"If-None-Match": "*"})
        self.assertEqual(r.status, 201)
        r = self.put(path, {"second": True}, headers={"If-None-Match": "*"})
        self.assertEqual(r.status, 412)
        self.assertEqual(self.req("GET", path).json(), {"first": True})

    def test_concurrent_writers_with_the_same_if_match_exactly_one_wins(self):
        path = f"/{unique('books')}/race"
        self.put(path, {"winner": None})
        writers = 8
        for round_ in range(5):
            etag = self.req("GET", path).header("ETag")
            barrier = threading.Barrier(writers)
            results = [None] * writers

            def write(i):
                barrier.wait(timeout=scaled(10))
                results[i] = self.req("PATCH", path, {"winner": i, "round": round_},
                                      content_type=MERGE, headers={"If-Match": etag})

            threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(scaled(20))
            statuses = sorted(r.status for r in results)
            self.assertEqual(statuses, [200] + [412] * (writers - 1), results)
            winner = next(i for i, r in enumerate(results) if r.status == 200)
            got = self.req("GET", path)
            self.assertEqual(got.json(), {"winner": winner, "round": round_})
            self.assertEqual(got.header("ETag"), f'"v{round_ + 2}"')


class ResourceErrors(ResourcesCase):

    def test_documents_must_be_json_objects(self):
        path = f"/{unique('books')}/x"
        for body in (b"[1,2]", b'"text"', b"42", b"null"):
            r = self.req("PUT", path, body)
            self.assertEqual(r.status, 400, body)
            self.assertIn("JSON object", r.json()["detail"])
        r = self.req("PUT", path, b'{"a": tru}')
        self.assertEqual(r.status, 400)
        self.assertIn("invalid JSON at byte 9", r.json()["detail"])
        r = self.req("PATCH", path, b"[]", content_type=MERGE)
        self.assertEqual(r.status, 400)
        r = self.req("POST", f"/{unique('books')}", b"{" * 40 + b"}" * 40)
        self.assertEqual(r.status, 400)
        self.assertIn("nested", r.json()["detail"])
        self.assertEqual(self.req("GET", path).status, 404)

    def test_wrong_content_type_is_415(self):
        path = f"/{unique('books')}/x"
        self.assertEqual(self.req("PUT", path, b"{}", content_type="text/plain").status, 415)
        self.assertEqual(self.req("POST", f"/{unique('b')}", b"{}",
                                  content_type="application/x-www-form-urlencoded").status, 415)
        self.put(path, {})
        r = self.req("PATCH", path, b"{}", content_type="application/json-patch+json")
        self.assertEqual(r.status, 415)
        self.assertIn("application/merge-patch+json", r.header("Accept-Patch"))

    def test_bad_names_are_400_and_unknown_paths_404(self):
        self.assertEqual(self.req("GET", "/bad%20name").status, 400)
        self.assertEqual(self.req("GET", "/" + "c" * 65).status, 400)
        self.assertEqual(self.req("PUT", "/books/a:b", {}).status, 400)
        self.assertEqual(self.req("GET", "/books/" + "i" * 65).status, 400)
        # The event room resources/{collection}/{id} must stay a valid room name (128 bytes).
        self.assertEqual(self.req("PUT", "/" + "c" * 64 + "/" + "i" * 64, {}).status, 400)
        self.assertEqual(self.req("PUT", "/" + "c" * 60 + "/" + "i" * 57, {}).status, 201)
        self.assertEqual(self.req("GET", "").status, 404)
        self.assertEqual(self.req("GET", "/books/a/b").status, 404)
        self.assertEqual(self.req("GET", f"/{unique('books')}/missing").status, 404)
        self.assertEqual(self.req("GET", "/books?limit=0").status, 400)
        self.assertEqual(self.req("GET", "/books?limit=1001").status, 400)
        self.assertEqual(self.req("GET", "/books?after=a/b").status, 400)

    def test_unsupported_methods_are_405_with_allow(self):
        r = self.req("DELETE", "/books")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, POST")
        r = self.req("POST", "/books/x", {})
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, PUT, PATCH, DELETE")

    def test_body_over_the_http_limit_is_413(self):
        conn = self.connect()
        size = 64 * 1024 + 1
        conn.send(build_request("PUT", "/api/resources/books/big", self.server.http_port,
                                [("Content-Type", JSON), ("Content-Length", str(size))]))
        try:
            resp = read_http_response(conn, deadline_in(1))
        except TimeoutError:  # a server may also read the body first
            conn.try_send(b" " * size)
            resp = read_http_response(conn, deadline_in(5))
        self.assertIsNotNone(resp, "connection closed without a 413 response")
        self.assertEqual(resp.status, 413)
        self.assertEqual(self.req("GET", "/books/big").status, 404)

    def test_a_patch_may_not_grow_a_document_over_the_limit(self):
        path = f"/{unique('books')}/grow"
        self.put(path, {"a": "x" * 40000})
        r = self.req("PATCH", path, {"b": "y" * 40000}, content_type=MERGE)
        self.assertEqual(r.status, 413)
        self.assertEqual(self.req("GET", path).header("ETag"), '"v1"')


class ResourceAccess(ResourcesCase):
    server_args = ("--api-key", "sekrit")

    def test_the_api_key_is_required(self):
        r = self.req("GET", "/books")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header("WWW-Authenticate"), "Bearer")
        r = self.req("GET", "/books", headers={"Authorization": "Bearer wrong"})
        self.assertEqual(r.status, 401)
        r = self.req("PUT", "/books/x", {}, headers={"Authorization": "Bearer sekrit"})
        self.assertEqual(r.status, 201)


# ----------------------------------------------------------------------------- events


class ResourceEvents(ResourcesCase):
    per_test_server = True  # each test starts from an empty resources/books

    def test_every_change_reaches_both_rooms_in_version_order(self):
        async def go():
            sub = await Subscriber.connect(self.server.http_port)
            joined = await sub.join("resources/books")
            self.assertEqual(joined["type"], "joined", joined)
            self.assertEqual((await sub.join("resources/books/dune"))["type"], "joined")
            writes = [("PUT", "/books/dune", {"title": "Dune"}, JSON),
                      ("PATCH", "/books/dune", {"year": 1965}, MERGE),
                      ("PUT", "/books/dune", {"title": "Dune", "year": 1966}, JSON),
                      ("DELETE", "/books/dune", None, JSON),
                      ("POST", "/books", {"title": "Emma"}, JSON)]
            for method, path, body, ctype in writes:
                r = await in_thread(lambda: self.req(method, path, body, content_type=ctype))
                self.assertLess(r.status, 300, r)
            posted_id = r.header("Location").rsplit("/", 1)[1]

            books = await sub.events("resources/books", 5)
            data = [m["data"] for m in books]
            self.assertEqual(data, [
                {"event": "created", "collection": "books", "id": "dune", "version": 1,
                 "doc": {"title": "Dune"}},
                {"event": "updated", "collection": "books", "id": "dune", "version": 2,
                 "doc": {"title": "Dune", "year": 1965}, "patch": {"year": 1965}},
                {"event": "updated", "collection": "books", "id": "dune", "version": 3,
                 "doc": {"title": "Dune", "year": 1966}},
                {"event": "deleted", "collection": "books", "id": "dune", "version": 4},
                {"event": "created", "collection": "books", "id": posted_id, "version": 1,
                 "doc": {"title": "Emma"}},
            ])
            for m in books:
                self.assertEqual(m["qos"], 1)
                self.assertEqual(m["from"]["nick"], "resources")
            seqs = [m["seq"] for m in books]
            self.assertEqual(seqs, list(range(seqs[0], seqs[0] + 5)))
            dune = await sub.events("resources/books/dune", 4)
            self.assertEqual([m["data"] for m in dune], data[:4])
            # Nothing else (e.g. failed writes) produced an event.
            r = await in_thread(lambda: self.req("PUT", "/books/x", {}, headers={"If-Match": '"v9"'}))
            self.assertEqual(r.status, 412)
            r = await in_thread(lambda: self.req("PUT", "/books/marker", {}))
            last = await sub.events("resources/books", 1)
            self.assertEqual(last[0]["data"]["id"], "marker")
            await sub.close()
        run_async(go())

    def test_a_resubscriber_with_since_and_epoch_gets_every_change_exactly_once(self):
        port = self.server.http_port

        def write(i):
            r = self.req("PUT", f"/books/r{i % 5}", {"i": i})
            self.assertLess(r.status, 300, r)

        async def go():
            write(0)  # gives the room a history, hence an epoch to resume in
            sub = await Subscriber.connect(port, session=None)
            joined = await sub.join("resources/books")
            epoch, since = joined["epoch"], joined["last_seq"]
            self.assertTrue(epoch)
            for i in range(1, 4):
                await in_thread(write, i)
            got = await sub.events("resources/books", 3)
            since = got[-1]["seq"]
            await sub.close()

            for i in range(4, 12):  # missed while away
                await in_thread(write, i)
            sub = await Subscriber.connect(port)
            # More changes race the rejoin: the seam must have no gap and no duplicate.
            racer = in_thread(lambda: [write(i) for i in range(12, 30)])
            joined = await sub.join("resources/books", since=since, epoch=epoch)
            self.assertTrue(joined["recovered"], joined)
            await racer
            got = await sub.events("resources/books", 26)
            self.assertEqual([m["data"]["doc"]["i"] for m in got], list(range(4, 30)))
            self.assertEqual([m["seq"] for m in got], list(range(since + 1, since + 27)))
            # And nothing more: the next event is the next change.
            await in_thread(lambda: self.req("PUT", "/books/marker", {}))
            last = await sub.events("resources/books", 1)
            self.assertEqual((last[0]["data"]["id"], last[0]["seq"]), ("marker", since + 27))
            await sub.close()
        run_async(go(), timeout=60)


if __name__ == "__main__":
    unittest.main()
