"""Hostile and malformed input. After every case the server must still be healthy.

What is accepted, and why:
- A request whose request line or header section is malformed cannot be routed; RFC 9112
  section 3 says the server SHOULD answer 400, and a well-made server does: we require a 400
  (error JSON) and then a closed connection (after a framing error the byte stream cannot be
  trusted, so the server must not read another request from it).
- An invalid Content-Length (negative, non-numeric, two different values): RFC 9112 6.3
  says the server MUST answer 400 and close: required exactly.
- A body that ends early (Content-Length longer than what is sent, then EOF) or broken chunked
  framing is detected only while reading the body: we accept a 400 or a close without any
  answer, and never a 2xx; the connection must end either way.
- Over-limit requests: the contract's 414/431/413, whatever the number of headers.
- Field values: invalid UTF-8 or NUL is a 400 naming the field; SQL/HTML-looking text is just
  text: stored and returned byte-exact in JSON, escaped in HTML.
"""

import json
import socket
import threading
import time
import unittest
import urllib.parse

import ingestd_harness as h
from test_api import parse_html

PIN = "1234"


class HostileTest(h.ServerTestCase):

    def tearDown(self):
        # Whatever the case did, the server still serves.
        try:
            self.assertTrue(self.server.running,
                            f"the server died: exit code {self.server.proc.poll()}")
            self.assertEqual(self.server.get("/healthz", timeout=5).status, 200)
            email = h.unique_email("after")
            self.assertStoredItem(self.server.ingest("after", email, PIN, timeout=5), 201,
                                  "after", email, PIN)
        except BaseException:
            if not self._test_failed():
                self._report_logs(self.server)
            raise
        finally:
            super().tearDown()

    def exchange(self, payload, **kw):
        kw.setdefault("timeout", 5.0)
        return h.raw_exchange(self.server.port, payload, **kw)

    def assertStillServing(self):
        self.assertEqual(self.server.get("/healthz", timeout=5).status, 200,
                         "the server stopped answering after a hostile request")

    def assert400AndClose(self, result):
        self.assertStillServing()
        self.assertEqual(result.status, 400, result.describe())
        self.assertErrorJson(result.responses[0], 400)
        self.assertEqual(len(result.responses), 1, result.describe())
        self.assertTrue(result.closed or result.reset,
                        f"connection left open after a malformed request: {result.describe()}")

    def assert400OrCloseNever2xx(self, result):
        self.assertStillServing()
        self.assertTrue(result.closed or result.reset, f"connection not closed: "
                        f"{result.describe()}")
        self.assertIn([r.status for r in result.responses], ([], [400]), result.describe())

    # -- request line and headers --

    def test_malformed_request_lines(self):
        for payload in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET /\r\n\r\n",
                        b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
                        b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"GET / HTTX/1.1\r\nHost: x\r\n\r\n",
                        b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"\x00\x01\x02\x03\xff\xfe\r\n\r\n"):
            with self.subTest(payload=payload[:40]):
                self.assert400AndClose(self.exchange(payload))

    def test_binary_junk_without_line_end(self):
        # A TLS ClientHello (https:// to this plain-HTTP port) has no CRLF: the server cannot
        # know where the request line ends; on EOF it answers 400 or just closes.
        hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) * 2
        self.assert400OrCloseNever2xx(self.exchange(hello, half_close=True))

    def test_headers_without_colon(self):
        for header_lines in (b"NoColonHere\r\n", b"Host: x\r\nNoColon\r\n",
                             b"Bad Name: x\r\n", b"Host : x\r\n", b": empty-name\r\n"):
            with self.subTest(headers=header_lines):
                payload = b"GET /healthz HTTP/1.1\r\n" + header_lines + b"\r\n"
                self.assert400AndClose(self.exchange(payload))

    def test_thousands_of_headers_is_431(self):
        for count in (1000, 5000):
            with self.subTest(count=count):
                headers = [(f"X-H{i}", "v") for i in range(count)]
                result = self.exchange(h.raw_request_bytes("GET", "/healthz", headers),
                                       responses=1)
                self.assertEqual(result.status, 431, result.describe())
                self.assertErrorJson(result.responses[0], 431)

    def test_oversized_headers_are_431(self):
        for headers in ([("X-Big", "a" * 100_000)], [("X-" + "n" * 20_000, "v")],
                        [("Cookie", "c=" + "z" * 30_000)]):
            with self.subTest(name=headers[0][0][:10], size=len(headers[0][1])):
                result = self.exchange(h.raw_request_bytes("GET", "/", headers), responses=1)
                self.assertEqual(result.status, 431, result.describe())
                self.assertErrorJson(result.responses[0], 431)

    def test_huge_request_line_is_414(self):
        result = self.exchange(h.raw_request_bytes("GET", "/?x=" + "a" * 200_000),
                               responses=1)
        self.assertEqual(result.status, 414, result.describe())
        self.assertErrorJson(result.responses[0], 414)

    # -- Content-Length --

    def ingest_body(self, email):
        return json.dumps({"user_name": "cl", "email": email, "pincode": PIN}).encode()

    def test_invalid_content_length(self):
        email = h.unique_email("badcl")
        body = self.ingest_body(email)
        for value in ("-1", "abc", "1e3", "0x10", "", f"{len(body)}, {len(body) + 1}",
                      "99999999999999999999999999"):
            with self.subTest(content_length=value):
                req = h.raw_request_bytes("POST", "/", [("Content-Type", "application/json"),
                                                        ("Content-Length", value)], body)
                result = self.exchange(req)
                if value == "99999999999999999999999999":
                    # Numeric but huge: the declared body is over 1 MiB.
                    self.assertIn(result.status, (400, 413), result.describe())
                else:
                    self.assert400AndClose(result)
        self.assertNotIn(email, {i["id"] for i in self.server.list_all()})

    def test_content_length_shorter_than_body(self):
        email = h.unique_email("short")
        body = self.ingest_body(email)
        req = h.raw_request_bytes("POST", "/", [("Content-Type", "application/json"),
                                                ("Content-Length", str(len(body) - 5))], body)
        result = self.exchange(req)
        # The first request's body is truncated JSON (400); the 5 left-over bytes are not a
        # request line: a 400 and a close, or just a close.
        self.assertGreaterEqual(len(result.responses), 1, result.describe())
        self.assertErrorJson(result.responses[0], 400)
        self.assertIn([r.status for r in result.responses[1:]], ([], [400]), result.describe())
        self.assertTrue(result.closed or result.reset, result.describe())
        self.assertNotIn(email, {i["id"] for i in self.server.list_all()})

    def test_content_length_longer_than_body(self):
        email = h.unique_email("long")
        body = self.ingest_body(email)
        req = h.raw_request_bytes("POST", "/", [("Content-Type", "application/json"),
                                                ("Content-Length", str(len(body) + 100))], body)
        # The server must wait for the rest: no answer within a second ...
        waiting = self.exchange(req, timeout=1.0)
        self.assertEqual(waiting.responses, [], waiting.describe())
        # ... and when the client gives up (EOF mid-body), nothing is stored.
        result = self.exchange(req, half_close=True)
        self.assert400OrCloseNever2xx(result)
        self.assertNotIn(email, {i["id"] for i in self.server.list_all()})

    # -- chunked --

    def chunked(self, body):
        return h.raw_request_bytes("POST", "/", [("Content-Type", "application/json"),
                                                 ("Transfer-Encoding", "chunked")], body)

    def test_good_chunked_body_works(self):
        email = h.unique_email("chunk")
        data = self.ingest_body(email)
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (data[:10], data[10:])) + \
            b"0\r\n\r\n"
        result = self.exchange(self.chunked(body), responses=1)
        self.assertEqual(result.status, 201, result.describe())

    def test_bad_chunked_encoding(self):
        email = h.unique_email("badchunk")
        data = self.ingest_body(email)
        n = len(data)
        for body in (b"zz\r\n" + data + b"\r\n0\r\n\r\n",  # size not hex
                     b"%x\r\n" % (n - 10) + data + b"\r\n0\r\n\r\n",  # size shorter than data
                     b"-5\r\n" + data + b"\r\n0\r\n\r\n",  # negative size
                     b"%x" % n + data + b"\r\n0\r\n\r\n",  # no CRLF after size
                     b"%x\r\n" % n + data + b"XX0\r\n\r\n",  # no CRLF after data
                     b"ffffffffffffffffffff\r\n" + data):  # size overflows
            with self.subTest(body=body[:30]):
                result = self.exchange(self.chunked(body), half_close=True)
                self.assert400OrCloseNever2xx(result)
        # A chunked body that never ends (EOF before the last chunk).
        result = self.exchange(self.chunked(b"%x\r\n" % n + data + b"\r\n"), half_close=True)
        self.assert400OrCloseNever2xx(result)
        self.assertNotIn(email, {i["id"] for i in self.server.list_all()})

    # -- field contents --

    def test_invalid_utf8_and_nul_in_fields(self):
        for target, field in (
                (f"/?user_name=%00&email=ax@b.com&pincode={PIN}", "user_name"),
                (f"/?user_name=ab%00cd&email=ay@b.com&pincode={PIN}", "user_name"),
                (f"/?user_name=%FF%FE%FD&email=az@b.com&pincode={PIN}", "user_name"),
                (f"/?user_name=%C3%28&email=aw@b.com&pincode={PIN}", "user_name")):
            with self.subTest(target=target):
                self.assertValidationFailed(self.server.get(target), {field})
        for target in (f"/?user_name=ok&email=a%00b@c.com&pincode={PIN}",
                       f"/?user_name=ok&email=a%FF@c.com&pincode={PIN}",
                       "/?user_name=ok&email=av@c.com&pincode=12%0034",
                       "/?user_name=ok&email=au@c.com&pincode=%FF234"):
            with self.subTest(target=target):
                # Exactly one of email/pincode invalid: pending approval (202), not stored.
                resp = self.server.get(target)
                self.assertEqual(resp.status, 202, resp.describe())

    def test_invalid_utf8_raw_in_json_and_form(self):
        email = h.unique_email("rawutf")
        json_body = b'{"user_name":"a\xff\xfeb","email":"' + email.encode() + b'","pincode":"1234"}'
        resp = self.server.request("POST", "/", body=json_body,
                                   headers={"Content-Type": "application/json"})
        self.assertErrorJson(resp, 400)  # not valid JSON text (RFC 8259: UTF-8) or bad user_name
        for escaped in ('"\\u0000"', '"a\\ud800b"', '"\\udc00"'):
            with self.subTest(user_name=escaped):
                body = '{"user_name":%s,"email":"%s","pincode":"1234"}' % (escaped, email)
                resp = self.server.request("POST", "/", body=body,
                                           headers={"Content-Type": "application/json"})
                self.assertErrorJson(resp, 400)
        self.assertNotIn(email, {i["id"] for i in self.server.list_all()})

    def test_injection_strings_stored_byte_exact(self):
        names = ["'); DROP TABLE items;--", "<script>alert(1)</script>",
                 "Robert'); DELETE FROM items WHERE ('1'='1", '" onmouseover="alert(1)',
                 "</div><img src=x onerror=alert(1)>", "a\\\"b\\\\c", "%00%27", "&amp;&lt;",
                 "${jndi:ldap://127.0.0.1/x}", "{{7*7}}"]
        stored = {}
        for i, name in enumerate(names):
            for via, method in (("query", "GET"), ("json", "POST"), ("form", "PUT")):
                email = h.unique_email(f"inj{'abcdefghijklmn'[i]}")
                resp = self.server.ingest(name, email, PIN, method=method, via=via)
                self.assertStoredItem(resp, 201, name, email, PIN)
                stored[email] = name
        # Byte-exact in the JSON list (and the table is still there).
        listed = {i["id"]: i for i in self.server.list_all()}
        for email, name in stored.items():
            self.assertEqual(listed[email]["user_name"], name)
        # Escaped in the HTML page: shown as text, never markup.
        resp = self.server.get("/?format=html&limit=1000")
        self.assertEqual(resp.status, 200, resp.describe(300))
        self.assertEqual(resp.content_type, "text/html", resp.describe(300))
        page = resp.text
        parsed = parse_html(page)
        text = parsed.all_text()
        for name in names:
            self.assertIn(name, text, "a value is not shown as text in the HTML page")
        for raw in ("<script>alert(1)</script>", "<img src=x", '" onmouseover="alert(1)'):
            self.assertNotIn(raw, page, "an unescaped value in the HTML page")
        for name in ("onmouseover", "onerror"):
            self.assertNotIn(name, parsed.attr_names, "a value became an attribute")

    # -- slowloris --

    def test_slowloris_does_not_starve_normal_clients(self):
        stop = threading.Event()
        socks = []
        for _ in range(40):
            s = socket.create_connection((h.HOST, self.server.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        all_socks = list(socks)

        def trickle():
            while not stop.is_set():
                for s in list(socks):
                    try:
                        s.sendall(b"X")  # a header name that never ends
                    except OSError:
                        socks.remove(s)  # the server closed a slow connection: fine
                stop.wait(0.1)

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            worst = 0.0
            deadline = time.monotonic() + 4.0
            n = 0
            while time.monotonic() < deadline:
                t0 = time.monotonic()
                self.assertEqual(self.server.get("/healthz", timeout=2).status, 200)
                email = h.unique_email("slow")
                resp = self.server.ingest("slow", email, PIN, timeout=2)
                self.assertStoredItem(resp, 201, "slow", email, PIN)
                worst = max(worst, time.monotonic() - t0)
                n += 1
                time.sleep(0.1)
            self.assertLess(worst, 2.0)
            self.assertGreater(n, 3)
        finally:
            stop.set()
            thread.join(5)
            for s in all_socks:
                s.close()


if __name__ == "__main__":
    unittest.main()
