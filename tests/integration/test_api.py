"""The public contract of `/` and the other public routes (shared/API.md), row by row."""

import html.parser
import json
import unittest
import urllib.parse

import ingestd_harness as h
from ingestd_harness import encode_fields, unique_email

VALID_NAME = "Jane Doe"
VALID_PIN = "560001"


class _Html(html.parser.HTMLParser):
    """Text, attribute values, start tags and class names of an HTML page."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.text, self.attrs, self.tags, self.classes, self.links = [], [], [], [], []
        self._open_link = None
        self.attr_names = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attr_names.append(name)
            if value is not None:
                self.attrs.append(value)
            if name == "class" and value:
                self.classes.extend(value.split())
        if tag in ("a", "link"):
            link = dict(attrs)
            link["_text"] = ""
            self.links.append(link)
            self._open_link = link if tag == "a" else None

    def handle_endtag(self, tag):
        if tag == "a":
            self._open_link = None

    def handle_data(self, data):
        self.text.append(data)
        if self._open_link is not None:
            self._open_link["_text"] += data

    def all_text(self):
        return "".join(self.text)


def parse_html(page):
    return _Html(page)


class IngestTest(h.ServerTestCase):
    """Ingest through every transport, and the create/replace outcomes."""

    def ingest_ok(self, method, via, status=201):
        email = unique_email("ing")
        resp = self.server.ingest(VALID_NAME, email, VALID_PIN, method=method, via=via)
        item = self.assertStoredItem(resp, status, VALID_NAME, email, VALID_PIN)
        return email, item

    def listed(self, email):
        return [i for i in self.server.list_all() if i.get("id") == email]

    def test_get_query_creates(self):
        email, item = self.ingest_ok("GET", "query")
        self.assertEqual(self.listed(email), [item])

    def test_put_query_creates(self):
        email, item = self.ingest_ok("PUT", "query")
        self.assertEqual(self.listed(email), [item])

    def test_post_query_creates(self):
        email, item = self.ingest_ok("POST", "query")
        self.assertEqual(self.listed(email), [item])

    def test_post_json_body_creates(self):
        email, item = self.ingest_ok("POST", "json")
        self.assertEqual(self.listed(email), [item])

    def test_put_json_body_creates(self):
        self.ingest_ok("PUT", "json")

    def test_post_form_body_creates(self):
        email, item = self.ingest_ok("POST", "form")
        self.assertEqual(self.listed(email), [item])

    def test_put_form_body_creates(self):
        self.ingest_ok("PUT", "form")

    def test_json_content_type_with_charset(self):
        email = unique_email("cs")
        body = json.dumps({"user_name": VALID_NAME, "email": email, "pincode": VALID_PIN})
        resp = self.server.request("POST", "/", body=body, headers={
            "Content-Type": "application/json; charset=utf-8"})
        self.assertStoredItem(resp, 201, VALID_NAME, email, VALID_PIN)

    def test_json_body_with_surrounding_whitespace(self):
        email = unique_email("ws")
        body = "\r\n\t " + json.dumps(
            {"user_name": VALID_NAME, "email": email, "pincode": VALID_PIN}) + " \n\n"
        resp = self.server.request("POST", "/", body=body,
                                   headers={"Content-Type": "application/json"})
        self.assertStoredItem(resp, 201, VALID_NAME, email, VALID_PIN)

    def test_same_email_replaces_keeps_created_at(self):
        email = unique_email("rep")
        first = self.assertStoredItem(self.server.ingest("First", email, "1234"), 201, "First",
                                      email, "1234")
        second = self.assertStoredItem(
            self.server.ingest("Second", email, "98765", method="POST", via="json"), 200,
            "Second", email, "98765")
        self.assertEqual(second["created_at"], first["created_at"])
        self.assertGreaterEqual(h.parse_time(second["updated_at"]),
                                h.parse_time(first["updated_at"]))
        self.assertEqual(self.listed(email), [second])

    def test_emails_differing_in_case_are_different_items(self):
        lower = unique_email("mixed")
        upper = lower[0].upper() + lower[1:]
        self.assertStoredItem(self.server.ingest("lower", lower, "1234"), 201, "lower", lower,
                              "1234")
        self.assertStoredItem(self.server.ingest("upper", upper, "1234"), 201, "upper", upper,
                              "1234")
        self.assertEqual(len(self.listed(lower)), 1)
        self.assertEqual(len(self.listed(upper)), 1)

    def test_values_stored_exactly_as_received(self):
        # Leading/trailing spaces, NBSP, ZWSP, emoji: all kept as given.
        name = "  Zoë 李 \u00a0\u200b😀 Ünïcödé  "
        email = "MiXeD" + unique_email("case")
        resp = self.server.ingest(name, email, "0000")
        item = self.assertStoredItem(resp, 201, name, email, "0000")
        self.assertEqual(self.listed(email), [item])

    def test_other_params_are_ignored(self):
        email = unique_email("other")
        target = "/?" + encode_fields([("user_name", VALID_NAME), ("email", email),
                                       ("pincode", VALID_PIN), ("foo", "bar"), ("foo", "baz"),
                                       ("limit", "abc"), ("format", "html"), ("cursor", "!")])
        self.assertStoredItem(self.server.get(target), 201, VALID_NAME, email, VALID_PIN)

    def test_other_json_keys_are_ignored(self):
        email = unique_email("keys")
        body = json.dumps({"user_name": VALID_NAME, "email": email, "pincode": VALID_PIN,
                           "id": "other@x.com", "created_at": "yesterday", "extra": [1, {}]})
        resp = self.server.request("POST", "/", body=body,
                                   headers={"Content-Type": "application/json"})
        self.assertStoredItem(resp, 201, VALID_NAME, email, VALID_PIN)


class ValidationTest(h.ServerTestCase):
    """The default rules, their boundaries, and the 400 body naming exactly the failing
    fields."""

    def ingest_target(self, target, method="GET"):
        return self.server.request(method, target)

    def assertRejected(self, resp, fields, email=None):
        self.assertValidationFailed(resp, fields)
        if email is not None:
            self.assertNotStored(email)

    def assertNotStored(self, email):
        ids = {i["id"] for i in self.server.list_all()}
        self.assertNotIn(email, ids, "a rejected item was stored")

    def assertSingleInvalid(self, resp, field, email):
        """Exactly one of email/pincode invalid, the rest valid: API.md answers 202
        {"status":"pending_approval","execution":ARN} (an admin decides); nothing is stored
        until approved. `field` is the invalid one (for the message only)."""
        self.assertEqual(resp.status, 202, f"{field} invalid: {resp.describe()}")
        self.assertEqual(resp.content_type, "application/json", resp.describe())
        body = resp.json()
        self.assertEqual(set(body), {"status", "execution"}, resp.describe())
        self.assertEqual(body.get("status"), "pending_approval", resp.describe())
        self.assertRegex(body["execution"], r"^arn:aws:states:[^:]*:[^:]*:execution:ingestd:[A-Za-z0-9_-]+$",
                         resp.describe())
        self.assertNotStored(email)

    def valid(self, user_name=VALID_NAME, email=None, pincode=VALID_PIN, via="query",
              method="GET"):
        email = email or unique_email("ok")
        resp = self.server.ingest(user_name, email, pincode, method=method, via=via)
        self.assertStoredItem(resp, 201, user_name, email, pincode)

    # -- missing fields --

    def test_missing_each_field(self):
        for missing in ("user_name", "email", "pincode"):
            for via, method in (("query", "GET"), ("json", "POST"), ("form", "PUT")):
                with self.subTest(missing=missing, via=via):
                    fields = {"user_name": VALID_NAME, "email": unique_email("miss"),
                              "pincode": VALID_PIN}
                    fields[missing] = None
                    resp = self.server.ingest(**fields, method=method, via=via)
                    self.assertRejected(resp, {missing}, fields["email"])

    def test_only_empty_email_is_an_ingest_naming_all_fields(self):
        # A GET with one of the fields present (even empty) is an ingest, not a list.
        resp = self.server.get("/?email=")
        self.assertValidationFailed(resp, {"user_name", "email", "pincode"})

    def test_only_user_name_is_an_ingest(self):
        resp = self.server.get("/?user_name=" + urllib.parse.quote(VALID_NAME))
        self.assertValidationFailed(resp, {"email", "pincode"})

    def test_put_and_post_without_fields_are_ingests(self):
        for method in ("PUT", "POST"):
            with self.subTest(method=method):
                resp = self.server.request(method, "/")
                self.assertValidationFailed(resp, {"user_name", "email", "pincode"})

    # -- user_name --

    def test_user_name_length_boundaries(self):
        self.valid(user_name="a")
        self.valid(user_name="é" * 256)  # 256 code points, 512 bytes
        self.valid(user_name="😀" * 256)  # 256 code points (512 UTF-16 units, 1024 bytes)
        self.valid(user_name="x" * 256, via="json", method="POST")
        for name in ("", "é" * 257, "😀" * 257, "x" * 257):
            with self.subTest(length=len(name)):
                email = unique_email("len")
                self.assertRejected(self.server.ingest(name, email, VALID_PIN), {"user_name"},
                                    email)

    def test_user_name_control_characters(self):
        # Unicode category Cc: C0 (NUL..US, TAB, LF, CR), DEL, C1 (U+0080..U+009F).
        for encoded in ("%09", "%0A", "%0D", "%00", "%1F", "%7F", "%C2%80", "%C2%85", "%C2%9F",
                        "a%09b", "ab%7F"):
            with self.subTest(user_name=encoded):
                email = unique_email("ctl")
                resp = self.ingest_target(
                    f"/?user_name={encoded}&email={email}&pincode={VALID_PIN}")
                self.assertRejected(resp, {"user_name"}, email)
        # Just outside Cc: NBSP (U+00A0, Zs), ZWSP (U+200B, Cf), space, tilde: allowed.
        for name in ("\u00a0", "a\u200bb", " ", "~"):
            with self.subTest(user_name=repr(name)):
                self.valid(user_name=name)

    def test_user_name_control_characters_in_json(self):
        for name in ("a\tb", "line\nbreak", "\u007f", "\u0085", "nul\u0000"):
            with self.subTest(user_name=repr(name)):
                email = unique_email("jctl")
                resp = self.server.ingest(name, email, VALID_PIN, method="POST", via="json")
                self.assertRejected(resp, {"user_name"}, email)

    def test_user_name_invalid_utf8(self):
        for encoded in ("%FF", "a%FFb", "%C0%AF", "%C0%80", "%ED%A0%80", "%F4%90%80%80", "%E2%82",
                        "%80"):
            with self.subTest(user_name=encoded):
                email = unique_email("utf")
                resp = self.ingest_target(
                    f"/?user_name={encoded}&email={email}&pincode={VALID_PIN}")
                self.assertRejected(resp, {"user_name"}, email)

    def test_user_name_invalid_utf8_in_form(self):
        email = unique_email("futf")
        resp = self.server.request(
            "POST", "/", body=f"user_name=%FF&email={email}&pincode={VALID_PIN}",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertRejected(resp, {"user_name"}, email)

    # -- email --

    def test_valid_emails(self):
        tail = unique_email("d").split("@")[0]
        for email in (f"a@{tail}.com", f"a1@{tail}.com", f"Ab9@X{tail}.com",
                      f"ABC@{tail}.com", f"a@{tail}9.com", f"zZ0z@0{tail}.com"):
            with self.subTest(email=email):
                self.valid(email=email)

    def test_invalid_email_alone(self):
        tail = unique_email("d").split("@")[0]
        for email in (f"1a{tail}@b.com", f"a{tail}@b.co", f"A{tail}@B.COM", f"a{tail}@b.Com",
                      f"a{tail}@b.comx", f"a.b{tail}@c.com", f"a_{tail}@c.com",
                      f"a{tail}@b-c.com", f"a{tail}@b.c.com", f"a{tail}@@b.com",
                      f"@{tail}.com", f"a{tail}@.com", f" a{tail}@b.com", f"a{tail}@b.com ",
                      f"a{tail}b.com", f"é{tail}@b.com", ""):
            with self.subTest(email=email):
                resp = self.server.ingest(VALID_NAME, email, VALID_PIN)
                self.assertSingleInvalid(resp, "email", email)

    # -- pincode --

    def test_valid_pincodes(self):
        for pin in ("1234", "12345", "123456", "0000", "000000"):
            with self.subTest(pincode=pin):
                self.valid(pincode=pin)

    def test_invalid_pincode_alone(self):
        for pin in ("123", "1234567", "12a4", "-1234", " 1234", "1234 ", "12 34", "１２３４",
                    "١٢٣٤", "1234\n", ""):
            with self.subTest(pincode=pin):
                email = unique_email("pin")
                resp = self.server.ingest(VALID_NAME, email, pin)
                self.assertSingleInvalid(resp, "pincode", email)

    def test_invalid_pincode_alone_json(self):
        email = unique_email("jpin")
        resp = self.server.ingest(VALID_NAME, email, "99", method="POST", via="json")
        self.assertSingleInvalid(resp, "pincode", email)

    # -- combinations --

    def test_email_and_pincode_invalid(self):
        for via, method in (("query", "GET"), ("json", "POST"), ("form", "POST")):
            with self.subTest(via=via):
                email = "1" + unique_email("both")
                resp = self.server.ingest(VALID_NAME, email, "123", method=method, via=via)
                self.assertRejected(resp, {"email", "pincode"}, email)

    def test_user_name_and_one_other_invalid(self):
        email = "1" + unique_email("un")
        self.assertRejected(self.server.ingest("", email, VALID_PIN), {"user_name", "email"},
                            email)
        email = unique_email("un")
        self.assertRejected(self.server.ingest("a\tb", email, "12"), {"user_name", "pincode"},
                            email)

    def test_all_invalid(self):
        resp = self.server.ingest("x" * 300, "not-an-email", "abc")
        self.assertValidationFailed(resp, {"user_name", "email", "pincode"})

    # -- duplicates and bodies --

    def test_duplicate_field_in_query(self):
        email = unique_email("dup")
        for target in (
                f"/?user_name=a&email={email}&email={email}&pincode={VALID_PIN}",
                f"/?user_name=a&user_name=b&email={email}&pincode={VALID_PIN}",
                f"/?user_name=a&email={email}&pincode={VALID_PIN}&pincode=1234",
                f"/?user_name=a&email={email}&pincode=&pincode={VALID_PIN}"):
            for method in ("GET", "POST"):
                with self.subTest(target=target, method=method):
                    self.assertErrorJson(self.server.request(method, target), 400)
        self.assertNotStored(email)

    def test_duplicate_field_in_form(self):
        email = unique_email("fdup")
        body = f"user_name=a&email={email}&pincode={VALID_PIN}&user_name=b"
        resp = self.server.request("POST", "/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        self.assertErrorJson(resp, 400)
        self.assertNotStored(email)

    def test_json_body_not_an_object(self):
        for body in ('[{"user_name":"a","email":"a@b.com","pincode":"1234"}]', '"text"', "null",
                     "42", "true"):
            with self.subTest(body=body):
                resp = self.server.request("POST", "/", body=body,
                                           headers={"Content-Type": "application/json"})
                self.assertErrorJson(resp, 400)

    def test_json_body_not_json(self):
        email = unique_email("bad")
        good = json.dumps({"user_name": "a", "email": email, "pincode": VALID_PIN})
        for body in ("{bad", good[:-1], good + "}", good + " x", good + "[]", good + good, "",
                     "{'user_name': 'a'}"):
            with self.subTest(body=body):
                resp = self.server.request("POST", "/", body=body,
                                           headers={"Content-Type": "application/json"})
                self.assertErrorJson(resp, 400)
        self.assertNotStored(email)

    def test_json_field_values_not_strings(self):
        email = unique_email("types")
        for user_name in (42, None, ["a"], {"a": 1}, True):
            with self.subTest(user_name=user_name):
                body = json.dumps({"user_name": user_name, "email": email, "pincode": VALID_PIN})
                resp = self.server.request("POST", "/", body=body,
                                           headers={"Content-Type": "application/json"})
                self.assertStatus(resp, 400)
        self.assertNotStored(email)


class ListTest(h.ServerTestCase):
    """GET / without fields: the JSON list, its limits and formats."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emails = []
        client = cls.server.client()
        try:
            for i, name in enumerate(("<i>\"Tom\" & 'Jerry'</i>", "Plain Name", "Zoë")):
                email = unique_email("list")
                resp = client.ingest(name, email, "1234")
                if resp.status != 201:
                    raise AssertionError(f"setup ingest failed: {resp.describe()}")
                cls.emails.append(email)
        finally:
            client.close()

    def test_list_is_json_array_of_items(self):
        for target in ("/", "/?foo=bar", "/?limit=1000"):
            with self.subTest(target=target):
                items, resp = self.server.list_page(target)
                self.assertEqual(resp.status, 200)
                ids = [i["id"] for i in items]
                for email in self.emails:
                    self.assertIn(email, ids)
                for item in items:
                    self.assertItem(item, item["user_name"], item["id"], item["pincode"])
                self.assertIsNone(resp.next_link(), resp.describe())

    def test_limit_one_has_next_link(self):
        items, resp = self.server.list_page("/?limit=1")
        self.assertEqual(len(items), 1, resp.describe())
        self.assertIsNotNone(resp.next_link(), resp.describe())

    def test_bad_limits(self):
        for limit in ("0", "1001", "abc", "-1", "", "1.5", "1e2", " 5", "99999999999999999999"):
            with self.subTest(limit=limit):
                resp = self.server.get("/?limit=" + urllib.parse.quote(limit, safe=""))
                self.assertErrorJson(resp, 400)

    def test_bad_cursor(self):
        for cursor in ("!!!", "not-a-cursor", "%FF%FE", "' OR 1=1 --", "AAAA"):
            with self.subTest(cursor=cursor):
                resp = self.server.get("/?cursor=" + urllib.parse.quote(cursor, safe=""))
                self.assertErrorJson(resp, 400)

    def html_page(self, resp):
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "text/html", resp.describe())
        return resp.text

    def assertCards(self, page):
        parsed = parse_html(page)
        self.assertTrue(any("card" in c.lower() for c in parsed.classes),
                        "no element with a 'card' class in the HTML page")
        text = parsed.all_text() + "\n".join(parsed.attrs)
        for email in self.emails:
            self.assertIn(email, text)
        # Every value HTML-escaped: the markup in the user_name is shown, never parsed.
        self.assertIn("<i>\"Tom\" & 'Jerry'</i>", parsed.all_text())
        self.assertNotIn("<i>\"Tom\"", page)

    def test_format_html(self):
        self.assertCards(self.html_page(self.server.get("/?format=html")))

    def test_browser_accept_gets_html(self):
        for accept in (h.BROWSER_ACCEPT, "text/html", "application/json;q=0.5, text/html",
                       "text/html;q=0.9, application/json;q=0.8"):
            with self.subTest(accept=accept):
                resp = self.server.get("/", headers={"Accept": accept})
                self.assertCards(self.html_page(resp))

    def test_json_preferred_accept_gets_json(self):
        for accept in ("application/json, text/html;q=0.5", "application/json", "*/*",
                       "text/html;q=0.5, application/json", "text/html;q=0, */*"):
            with self.subTest(accept=accept):
                items, resp = self.server.list_page("/", headers={"Accept": accept})
                self.assertTrue(items)


class RoutesTest(h.ServerTestCase):
    """The other public routes, methods and the size limits."""

    def test_healthz(self):
        resp = self.server.get("/healthz")
        self.assertStatus(resp, 200)
        self.assertEqual(resp.text.strip(), "ok", resp.describe())

    def test_head_healthz(self):
        resp = self.server.request("HEAD", "/healthz")
        self.assertStatus(resp, 200)
        self.assertEqual(resp.body, b"")

    def test_readyz(self):
        self.assertStatus(self.server.get("/readyz"), 200)

    def test_unknown_path_is_404_json(self):
        for method, target in (("GET", "/nope"), ("GET", "/nope?user_name=a&email=a@b.com"),
                               ("POST", "/items"), ("GET", "/healthz/extra")):
            with self.subTest(target=target, method=method):
                self.assertErrorJson(self.server.request(method, target), 404)

    def test_other_methods_are_405_with_allow(self):
        for method in ("DELETE", "PATCH", "TRACE"):
            with self.subTest(method=method):
                resp = self.server.request(method, "/")
                self.assertErrorJson(resp, 405)
                allow = {m.strip().upper() for m in (resp.header("Allow") or "").split(",")}
                self.assertTrue({"GET", "PUT", "POST"} <= allow, resp.describe())
                self.assertNotIn(method, allow)

    def test_request_line_over_8k_is_414(self):
        self.assertStatus(self.server.get("/?pad=" + "a" * 7000), 200)  # a list: under limit
        resp = self.server.get("/?pad=" + "a" * 9000)
        self.assertErrorJson(resp, 414)

    def test_header_block_over_16k_is_431(self):
        self.assertStatus(self.server.get("/healthz", headers={"X-Pad": "a" * 14000}), 200)
        self.assertErrorJson(self.server.get("/healthz", headers={"X-Pad": "a" * 17000}), 431)
        many = {f"X-Pad-{i}": "b" * 200 for i in range(90)}  # under 100 headers, ~19 KiB
        self.assertErrorJson(self.server.get("/healthz", headers=many), 431)

    def test_over_100_headers_is_431(self):
        def with_headers(total):  # Host + (total - 1) others
            extra = [(f"X-H{i}", "v") for i in range(total - 1)]
            return h.raw_exchange(self.server.port,
                                  h.raw_request_bytes("GET", "/healthz", extra), responses=1)

        ok = with_headers(100)
        self.assertEqual(ok.status, 200, ok.describe())
        over = with_headers(101)
        self.assertEqual(over.status, 431, over.describe())
        self.assertErrorJson(over.responses[0], 431)

    def test_body_over_1mib_is_413(self):
        email = unique_email("big")
        prefix = json.dumps({"user_name": "big", "email": email, "pincode": VALID_PIN,
                             "pad": ""})[:-2].encode()
        suffix = b'"}'
        pad = (1 << 20) - len(prefix) - len(suffix)
        exact = prefix + b"p" * pad + suffix
        self.assertEqual(len(exact), 1 << 20)
        resp = self.server.request("POST", "/", body=exact,
                                   headers={"Content-Type": "application/json"})
        self.assertStoredItem(resp, 201, "big", email, VALID_PIN)  # exactly 1 MiB: accepted

        over = prefix + b"p" * (pad + 1) + suffix
        self.assertEqual(len(over), (1 << 20) + 1)
        req = h.raw_request_bytes("POST", "/", [("Content-Type", "application/json"),
                                                ("Content-Length", str(len(over)))], over)
        result = h.raw_exchange(self.server.port, req, responses=1, timeout=10)
        self.assertEqual(result.status, 413, result.describe())
        self.assertErrorJson(result.responses[0], 413)

    def test_chunked_body_over_1mib_is_413(self):
        chunk = b"x" * 65536
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(17)) + b"0\r\n\r\n"
        req = h.raw_request_bytes("POST", "/", [("Content-Type", "application/json"),
                                                ("Transfer-Encoding", "chunked")], body)
        result = h.raw_exchange(self.server.port, req, responses=1, timeout=10)
        self.assertEqual(result.status, 413, result.describe())
        self.assertErrorJson(result.responses[0], 413)


if __name__ == "__main__":
    unittest.main()
