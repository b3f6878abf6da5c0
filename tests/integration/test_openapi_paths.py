"""docs/openapi.yaml against the real server, both ways.

Spec → server: every operation (path × method) is sent to a real server, filled in with the
spec's own example values for objects the test creates first (a room with a message and a
member, a resource); the status must be one the operation documents, a documented required
header must be there, and a JSON body must validate against the documented schema.

Server → spec: every method a documented path answers (its 405 `Allow` header says which) is
documented, and every route the HTTP layer's source names (its path literals) is a path of
the spec, so that a new endpoint without documentation fails here.

Needs Debian's python3-yaml and python3-jsonschema (`scripts/install-deps.sh --test`).
"""

import glob
import json
import os
import re
import unittest

import jsonschema
import yaml

from confab_harness import (ConfabTestCase, RawConn, build_request, deadline_in,
                            read_http_response, remaining)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SPEC_FILE = os.path.join(ROOT, "docs", "openapi.yaml")
HTTP_SOURCES = os.path.join(ROOT, "src", "http")
WEB_ROOT = os.path.join(ROOT, "web")

METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
WRITES = ("POST", "PUT", "PATCH")


def load_spec():
    with open(SPEC_FILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


SPEC = load_spec()


def deref(node):
    """Follows local `$ref`s ("#/components/...") until a node without one."""
    while isinstance(node, dict) and "$ref" in node:
        target = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations():
    """(path, method, path item, operation), DELETEs last so that they remove nothing a later
    operation needs."""
    ops = [(path, m, item, item[m]) for path, item in SPEC["paths"].items() for m in METHODS
           if m in item]
    return sorted(ops, key=lambda op: op[1] == "delete")


def parameters(item, op):
    """The operation's parameters with the path item's, the operation's winning (by name, in)."""
    merged = {}
    for p in item.get("parameters", []) + op.get("parameters", []):
        p = deref(p)
        merged[(p["name"], p["in"])] = p
    return list(merged.values())


def documented(op, status):
    """The documented response for `status`: exact code first, then its range ("4XX")."""
    responses = op["responses"]
    for key in (str(status), f"{str(status)[0]}XX"):
        if key in responses:
            return deref(responses[key])
    return None


def media_type(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def validate(instance, schema):
    """JSON Schema 2020-12 (OpenAPI 3.1), with `$ref`s resolved inside the spec."""
    resolver = jsonschema.RefResolver(base_uri="", referrer=SPEC)
    jsonschema.Draft202012Validator(schema, resolver=resolver).validate(instance)


def exchange(port, method, path, headers=(), body=b""):
    """One request on a fresh connection; closes it after the response (also after a 101)."""
    headers = list(headers)
    names = {k.lower() for k, _ in headers}
    if method in WRITES and "content-length" not in names and not body:
        headers.append(("Content-Length", "0"))
    if "upgrade" not in names:
        headers.append(("Connection", "close"))
    conn = RawConn.connect(port)
    try:
        conn.send(build_request(method, path, port, headers, body))
        resp = read_http_response(conn, deadline_in(5), head_request=(method == "HEAD"))
        if resp is None:
            raise AssertionError(f"{method} {path}: connection closed without a response")
        return resp
    finally:
        conn.close()


class OpenApiPathsTest(ConfabTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.examples = cls.parameter_examples()

    @classmethod
    def parameter_examples(cls):
        """Every parameter's documented example, by (name, in)."""
        out = {}
        for path, _, item, op in operations():
            for p in parameters(item, op):
                if "example" in p:
                    out.setdefault((p["name"], p["in"]), p["example"])
        return out

    def setUp(self):
        super().setUp()
        # The objects the examples name: a room with a stored message and a member, and a
        # resource (re-created before each operation on it: a DELETE may run before).
        self.room = self.examples[("room", "path")]
        self.collection = self.examples[("collection", "path")]
        self.resource_id = self.examples[("id", "path")]
        resp = exchange(self.port, "POST", f"/api/rooms/{self.room}/messages",
                        [("Content-Type", "application/json")],
                        json.dumps({"data": {"text": "hello"}}).encode())
        self.assertIn(resp.status, (200, 201), resp)
        self.member = self.ws_raw(f"/ws/rooms/{self.room}")
        self.wait_for_member()

    @property
    def port(self):
        return self.server.http_port

    def wait_for_member(self):
        deadline = deadline_in(5)
        while remaining(deadline) > 0:
            resp = exchange(self.port, "GET", f"/api/rooms/{self.room}/members")
            if resp.status == 200 and json.loads(resp.body)["members"]:
                return
        self.fail(f"the WebSocket member of {self.room} never showed in its member list")

    def ensure_resource(self):
        doc = deref(SPEC["components"]["requestBodies"]["Document"])
        body = json.dumps(doc["content"]["application/json"]["example"]).encode()
        resp = exchange(self.port, "PUT", f"/api/resources/{self.collection}/{self.resource_id}",
                        [("Content-Type", "application/json")], body)
        self.assertIn(resp.status, (200, 201), resp)

    # -- building requests from the spec

    def fill_path(self, path):
        def value(m):
            key = (m.group(1), "path")
            self.assertIn(key, self.examples, f"{path}: no example for path parameter {m.group(1)}")
            return str(self.examples[key])
        return re.sub(r"\{([^}]+)\}", value, path)

    def requests_for(self, item, op):
        """(label, query, headers, body) to send: the required parameters only with the first
        body example, then every documented example (parameters and bodies)."""
        params = parameters(item, op)
        bodies = [(None, b"")]
        if "requestBody" in op:
            bodies = []
            for mt, media in deref(op["requestBody"])["content"].items():
                examples = [media["example"]] if "example" in media else [
                    e["value"] for e in media.get("examples", {}).values()]
                self.assertTrue(examples, f"{op['operationId']}: no example body for {mt}")
                bodies += [(mt, json.dumps(e).encode()) for e in examples]

        def build(optional):
            query, headers = [], []
            for p in params:
                if p["in"] == "path" or not (p.get("required") or optional):
                    continue
                self.assertIn("example", p, f"{op['operationId']}: no example for {p['name']}")
                if p["in"] == "query":
                    query.append(f"{p['name']}={p['example']}")
                elif p["in"] == "header":
                    headers.append((p["name"], str(p["example"])))
            return ("?" + "&".join(query)) if query else "", headers

        query, headers = build(optional=False)
        mt, body = bodies[0]
        out = [("required only", query, headers + ([("Content-Type", mt)] if mt else []), body)]
        query, headers = build(optional=True)
        for mt, body in bodies:
            out.append((f"every example ({mt or 'no body'})", query,
                        headers + ([("Content-Type", mt)] if mt else []), body))
        return out

    # -- checking answers against the spec

    def check_response(self, op, method, resp, what):
        response = documented(op, resp.status)
        self.assertIsNotNone(response, f"{what}: status {resp.status} is not documented "
                                       f"(documented: {sorted(op['responses'])}); body {resp.body[:300]!r}")
        self.assertNotIn(resp.reason, ("", "Unknown"), f"{what}: no reason phrase for {resp.status}")
        for name, header in response.get("headers", {}).items():
            if deref(header).get("required"):
                self.assertIsNotNone(resp.header(name), f"{what}: required header {name} missing")
        content = response.get("content")
        if method == "HEAD" or resp.status in (101, 304):
            return
        if not content:
            self.assertEqual(resp.body, b"", f"{what}: a body where the spec documents none")
            return
        mt = media_type(resp.header("Content-Type"))
        self.assertIn(mt, content, f"{what}: Content-Type {mt!r} not documented")
        if mt.endswith("json"):
            schema = content[mt].get("schema", {})
            try:
                validate(json.loads(resp.body), schema)
            except jsonschema.ValidationError as e:
                self.fail(f"{what}: body does not match the schema: {e.message}\n{resp.body[:500]!r}")

    # -- the tests

    def test_every_operation_answers_only_what_the_spec_documents(self):
        checked = 0
        for path, method, item, op in operations():
            with self.subTest(operation=op["operationId"]):
                if "{collection}/{id}" in path:
                    self.ensure_resource()
                target = self.fill_path(path)
                for i, (label, query, headers, body) in enumerate(self.requests_for(item, op)):
                    what = f"{method.upper()} {target}{query} [{label}]"
                    if i > 0 and "{collection}/{id}" in path:
                        self.ensure_resource()
                    resp = exchange(self.port, method.upper(), target + query, headers, body)
                    self.check_response(op, method.upper(), resp, what)
                    if i == 0:
                        # The spec's own examples with its required parameters must make a
                        # request that works.
                        self.assertLess(resp.status, 400, f"{what}: {resp.status} {resp.body[:300]!r}")
                    checked += 1
        self.assertGreater(checked, 2 * len(SPEC["paths"]))

    def test_every_method_a_path_answers_is_documented(self):
        for path, item in SPEC["paths"].items():
            target = self.fill_path(path)
            spec_methods = {m.upper() for m in METHODS if m in item}
            for method in (m.upper() for m in METHODS if m not in item):
                with self.subTest(path=path, method=method):
                    resp = exchange(self.port, method, target)
                    self.assertEqual(resp.status, 405, f"{method} {target}: the server answers "
                                     f"{resp.status}, the spec documents no {method}: {resp.body[:200]!r}")
                    self.assertEqual(media_type(resp.header("Content-Type")), "application/problem+json")
                    allow = {m.strip().upper() for m in (resp.header("Allow") or "").split(",")}
                    self.assertEqual(allow, spec_methods,
                                     f"{path}: the server allows {sorted(allow)}, the spec "
                                     f"documents {sorted(spec_methods)}")

    def test_every_route_in_the_http_sources_is_a_documented_path(self):
        static_files = {"/" + os.path.relpath(f, WEB_ROOT)
                        for f in glob.glob(os.path.join(WEB_ROOT, "**"), recursive=True)
                        if os.path.isfile(f)}
        spec_paths = [[s for s in p.split("/") if s] for p in SPEC["paths"]]

        def covered(literal):
            segments = [s for s in literal.split("/") if s]
            if not segments or literal in static_files:
                return True
            # A contiguous run of literal segments of some spec path ("/messages" is part of
            # "/api/rooms/{room}/messages"); a {parameter} matches no literal.
            n = len(segments)
            return any(path[i:i + n] == segments for path in spec_paths
                       for i in range(len(path) - n + 1))

        literals = set()
        for source in glob.glob(os.path.join(HTTP_SOURCES, "*.[ch]pp")):
            with open(source, encoding="utf-8") as f:
                literals |= set(re.findall(r'"(/[A-Za-z0-9._/-]*)"', f.read()))
        self.assertIn("/healthz", literals, "the route scan found nothing: did the sources move?")
        undocumented = sorted(lit for lit in literals if not covered(lit))
        self.assertEqual(undocumented, [], "routes in src/http/ that docs/openapi.yaml lacks")

    def test_parameter_and_header_examples_match_their_schemas(self):
        # Redocly checks the media type examples; these it does not.
        for path, _, item, op in operations():
            for p in parameters(item, op):
                if "example" in p:
                    with self.subTest(operation=op["operationId"], parameter=p["name"]):
                        validate(p["example"], p.get("schema", {}))
        for name, header in SPEC["components"]["headers"].items():
            if "example" in header:
                with self.subTest(header=name):
                    validate(header["example"], header.get("schema", {}))

if __name__ == "__main__":
    unittest.main()
