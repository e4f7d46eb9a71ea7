"""The admin listener of issue 6 against the real binary (shared/API.md, "The admin listener"):
authentication (bearer, HTTP Basic, SigV4; 401/403), CSRF for Basic-authenticated POSTs, the
202 pending-approval answer of the ingest endpoint, the approvals list (JSON and HTML),
approve/reject and their 409/404 answers, 16 racing approvals, the signed webhook, the Step
Functions JSON API, and Debian's AWS CLI (/usr/bin/aws) with --endpoint-url."""

import hashlib
import hmac
import html.parser
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import ingestd_harness as h
from ingestd_harness import unique_email

REGION = "eu-west-2"
ACCOUNT = "123456789012"
ARN_PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:ingestd:"
EXECUTION_ARN = re.compile(re.escape(ARN_PREFIX) + r"[A-Za-z0-9_.~-]{1,80}")
APPROVAL_KEYS = {"id", "task_token", "execution", "input", "created_at", "expires_at"}
WEBHOOK_KEYS = APPROVAL_KEYS | {"event", "approve_url", "reject_url"}
APPROVAL_TIMEOUT_S = 3600  # the class server's --approval-timeout 1h
WEBHOOK_WAIT_S = 30.0
AWS_CLI = "/usr/bin/aws"
BAD_PIN = "12"  # fails [0-9]{4,6}
GOOD_PIN = "560001"


def bad_email(tag):
    """A unique email that fails the rule (not .com)."""
    return unique_email(tag).replace(".com", ".org")


def decode_json(text):
    """A JSON value given as text (the way Step Functions passes input/output), or as is."""
    return json.loads(text) if isinstance(text, str) else text


class _Forms(html.parser.HTMLParser):
    """The forms (action, method, inputs, button texts), meta tags and text of a page."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.forms, self.meta, self.text, self.tags = [], [], [], []
        self._form = None
        self._button = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "",
                          "method": (attrs.get("method") or "get").lower(), "inputs": {},
                          "buttons": []}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and attrs.get("name"):
            self._form["inputs"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and self._form is not None:
            self._button = ""
            if attrs.get("name"):
                self._form["inputs"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "meta":
            self.meta.append(attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "button" and self._button is not None:
            if self._form is not None:
                self._form["buttons"].append(self._button.strip())
            self._button = None

    def handle_data(self, data):
        self.text.append(data)
        if self._button is not None:
            self._button += data

    def csrf_token(self):
        for form in self.forms:
            if form["inputs"].get("csrf_token"):
                return form["inputs"]["csrf_token"]
        for attrs in self.meta:
            if (attrs.get("name") or "").lower() in ("csrf-token", "csrf_token"):
                return attrs.get("content")
        return None

    def forms_for(self, approval_id, decision):
        suffix = f"/approvals/{approval_id}/{decision}"
        return [f for f in self.forms
                if urllib.parse.urlsplit(f["action"]).path.endswith(suffix)]


class AdminTestBase(h.ServerTestCase):
    """A server with the admin listener on (token, SigV4 keys, webhook, 1 h approval timeout,
    region and account set) and a webhook receiver started before it."""

    webhook_respond = None

    @classmethod
    def setUpClass(cls):
        cls.receiver = h.WebhookReceiver(respond=cls.webhook_respond).start()
        cls.addClassCleanup(cls.receiver.close)
        cls.server_args = h.admin_server_args(
            webhook=cls.receiver.url, webhook_secret=h.WEBHOOK_SECRET, approval_timeout="1h",
            region=REGION, account=ACCOUNT)
        super().setUpClass()
        cls.admin = h.AdminClient(cls.server, region=REGION)

    # -- helpers --

    def ingest_pending(self, user_name="Ann Pending", email=None, pincode=BAD_PIN, **kw):
        """An ingest with exactly one of email/pincode invalid: 202 pending_approval. Returns
        (email, execution ARN)."""
        email = email or unique_email("pend")
        resp = self.server.ingest(user_name, email, pincode, **kw)
        self.assertStatus(resp, 202)
        self.assertEqual(resp.content_type, "application/json", resp.describe())
        body = resp.json()
        self.assertEqual(set(body), {"status", "execution"}, resp.describe())
        self.assertEqual(body["status"], "pending_approval", resp.describe())
        self.assertRegex(body["execution"], EXECUTION_ARN)
        return email, body["execution"]

    def approval(self, email):
        entry = self.admin.approval_for(email)
        self.assertIsNotNone(entry, f"no pending approval for {email}: {self.admin.approvals()}")
        return entry

    def listed(self, email):
        return [i for i in self.server.list_all() if i.get("id") == email]

    def assertAwsError(self, resp, aws_type):
        self.assertStatus(resp, 400)
        self.assertEqual(resp.content_type, h.SFN_CONTENT_TYPE, resp.describe())
        self.assertEqual(h.aws_error_type(resp), aws_type, resp.describe())
        self.assertIsInstance(resp.json().get("message"), str, resp.describe())

    def assertDecided(self, resp, status):
        """An approve/reject answered 200 JSON with the execution's new status."""
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/json", resp.describe())
        body = resp.json()
        self.assertIsInstance(body, dict, resp.describe())
        self.assertEqual(body.get("status"), status, resp.describe())
        return body

    def page(self, headers=None):
        resp = self.admin.request("GET", "/approvals?format=html", auth="basic",
                                  headers=headers)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "text/html", resp.describe())
        return _Forms(resp.text), resp


class AuthTest(AdminTestBase):
    """Every request needs the token (Bearer or Basic password) or a SigV4 signature."""

    def test_missing_or_wrong_credentials_get_401_revealing_nothing(self):
        email, arn = self.ingest_pending("Secret Sam")
        form = h.encode_fields({"csrf_token": "x"})
        targets = [("GET", "/approvals", None, {}), ("GET", "/approvals?format=html", None, {}),
                   ("GET", "/no/such/path", None, {}), ("GET", "/", None, {}),
                   ("POST", "/approvals/whatever/approve", form,
                    {"Content-Type": "application/x-www-form-urlencoded"}),
                   ("POST", "/", json.dumps({"executionArn": arn}),
                    {"Content-Type": h.SFN_CONTENT_TYPE,
                     "X-Amz-Target": "AWSStepFunctions.DescribeExecution"}),
                   ("DELETE", "/approvals", None, {})]
        credentials = {
            "none": {},
            "wrong bearer": h.bearer("not-the-token"),
            "empty bearer": {"Authorization": "Bearer "},
            "token prefix": h.bearer(h.ADMIN_TOKEN[:-1]),
            "token longer": h.bearer(h.ADMIN_TOKEN + "x"),
            "other scheme": {"Authorization": f"Token {h.ADMIN_TOKEN}"},
            "basic wrong password": h.basic("not-the-token"),
            "basic token as user": h.basic("", user=h.ADMIN_TOKEN),
            "basic garbage": {"Authorization": "Basic !!!not-base64"},
        }
        bodies = set()
        for label, auth in credentials.items():
            for method, target, body, headers in targets:
                with self.subTest(credentials=label, method=method, target=target):
                    resp = self.admin.request(method, target, body=body,
                                              headers={**headers, **auth}, auth=None)
                    self.assertStatus(resp, 401)
                    challenge = resp.header("WWW-Authenticate") or ""
                    self.assertRegex(challenge, r"(?i)^basic\b", resp.describe())
                    for secret in (email, arn, h.ADMIN_TOKEN, "Secret Sam", "task_token"):
                        self.assertNotIn(secret, resp.text, resp.describe())
                    bodies.add(resp.body)
        # Nothing about routing leaks: the same refusal whatever the path or method.
        self.assertEqual(len(bodies), 1, f"different 401 bodies: {bodies}")

    def test_bearer_token_is_accepted(self):
        resp = self.admin.request("GET", "/approvals")
        self.assertStatus(resp, 200)
        self.assertIsInstance(resp.json(), list)

    def test_basic_with_token_as_password_and_any_user_is_accepted(self):
        for user in ("admin", "someone else", ""):
            with self.subTest(user=user):
                resp = self.admin.request("GET", "/approvals", auth=None,
                                          headers=h.basic(h.ADMIN_TOKEN, user=user))
                self.assertStatus(resp, 200)
                self.assertIsInstance(resp.json(), list)

    def test_sigv4_by_the_admin_keys_is_accepted_on_every_sfn_path(self):
        for path in ("/sfn", "/sfn/", "/"):
            with self.subTest(path=path):
                resp = self.admin.sfn("ListExecutions", {"stateMachineArn": (
                    f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:ingestd")},
                    auth="sigv4", path=path)
                self.assertStatus(resp, 200)
                self.assertEqual(resp.content_type, h.SFN_CONTENT_TYPE, resp.describe())
                self.assertIsInstance(resp.json().get("executions"), list, resp.describe())

    def test_bad_sigv4_signature_is_403(self):
        email, arn = self.ingest_pending()
        payload = {"executionArn": arn}
        wrong = self.admin.sfn("DescribeExecution", payload, auth="sigv4",
                               secret_access_key=h.ADMIN_SECRET_ACCESS_KEY + "x")
        self.assertStatus(wrong, 403)
        self.assertNotIn(email, wrong.text)
        # A correct signature over another body: the body was tampered with in transit.
        body = json.dumps(payload).encode()
        headers = h.sigv4_headers(
            "POST", f"{h.HOST}:{self.server.admin_port}", "/sfn", body, h.ADMIN_ACCESS_KEY_ID,
            h.ADMIN_SECRET_ACCESS_KEY, REGION,
            extra_headers={"Content-Type": h.SFN_CONTENT_TYPE,
                           "X-Amz-Target": "AWSStepFunctions.DescribeExecution"})
        tampered = self.admin.request("POST", "/sfn", body=body.replace(b"}", b" }"),
                                      headers=headers, auth=None)
        self.assertStatus(tampered, 403)
        # The untampered request with the same headers is fine.
        ok = self.admin.request("POST", "/sfn", body=body, headers=headers, auth=None)
        self.assertStatus(ok, 200)
        self.assertEqual(ok.json().get("executionArn"), arn, ok.describe())


class CsrfTest(AdminTestBase):
    """Basic-authenticated (browser) POSTs need the page's CSRF token."""

    def test_basic_post_without_or_with_wrong_csrf_token_is_403(self):
        email, _ = self.ingest_pending()
        entry = self.approval(email)
        for label, headers, body in (
                ("none", {}, None),
                ("wrong header", {"X-CSRF-Token": "forged"}, None),
                ("wrong field", {"Content-Type": "application/x-www-form-urlencoded"},
                 "csrf_token=forged"),
                ("empty field", {"Content-Type": "application/x-www-form-urlencoded"},
                 "csrf_token=")):
            with self.subTest(csrf=label):
                resp = self.admin.request("POST", f"/approvals/{entry['id']}/approve",
                                          auth="basic", headers=headers, body=body)
                self.assertStatus(resp, 403)
        self.assertIsNotNone(self.admin.approval_for(email), "a refused POST decided")
        self.assertEqual(self.listed(email), [])

    def test_basic_post_with_csrf_header_approves(self):
        email, _ = self.ingest_pending("Csrf Header")
        entry = self.approval(email)
        page, _ = self.page()
        token = page.csrf_token()
        self.assertTrue(token, "the page carries no CSRF token")
        resp = self.admin.request("POST", f"/approvals/{entry['id']}/approve", auth="basic",
                                  headers={"X-CSRF-Token": token})
        self.assertDecided(resp, "SUCCEEDED")
        self.assertItem(self.listed(email)[0], "Csrf Header", email, BAD_PIN)

    def test_the_page_form_with_its_csrf_field_rejects(self):
        email, _ = self.ingest_pending("Csrf Form")
        entry = self.approval(email)
        page, _ = self.page()
        forms = page.forms_for(entry["id"], "reject")
        self.assertEqual(len(forms), 1, f"reject forms for {entry['id']}: {page.forms}")
        form = forms[0]
        self.assertEqual(form["method"], "post")
        self.assertTrue(form["inputs"].get("csrf_token"), f"no csrf_token field: {form}")
        base = f"http://{h.HOST}:{self.server.admin_port}/approvals?format=html"
        resp = self.admin.request(
            "POST", h.relative_target(base, form["action"]), auth="basic",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=h.encode_fields(form["inputs"]))
        self.assertIn(resp.status, (200, 303), resp.describe())
        self.assertIsNone(self.admin.approval_for(email))
        self.assertEqual(self.listed(email), [])

    def test_bearer_post_needs_no_csrf_token(self):
        email, _ = self.ingest_pending("No Csrf")
        entry = self.approval(email)
        self.assertDecided(self.admin.decide(entry["id"], "approve"), "SUCCEEDED")
        self.assertEqual(len(self.listed(email)), 1)


class PendingIngestTest(AdminTestBase):
    """The 202 row of the ingest table, and what stays 400/201."""

    def test_one_invalid_field_is_202_and_not_listed(self):
        cases = [("pincode", dict(pincode=BAD_PIN), "GET", "query"),
                 ("pincode", dict(pincode="1234567"), "PUT", "query"),
                 ("email", dict(email=None, pincode=GOOD_PIN), "POST", "json"),
                 ("email", dict(email=None, pincode="1234"), "POST", "form")]
        for failing, fields, method, via in cases:
            with self.subTest(failing=failing, method=method, via=via):
                email = fields.get("email") or (
                    bad_email("bad") if failing == "email" else unique_email("one"))
                pincode = fields["pincode"]
                email, arn = self.ingest_pending("Ann", email, pincode, method=method, via=via)
                self.assertEqual(self.listed(email), [])
                entry = self.approval(email)
                self.assertEqual(entry["execution"], arn)
                self.assertEqual(set(entry["input"]["fields"]), {failing}, entry)
                self.assertEqual(entry["input"]["item"]["pincode"], pincode, entry)

    def test_other_invalid_combinations_stay_400(self):
        before = len(self.admin.approvals())
        cases = [({"user_name": "Ann", "email": bad_email("b"), "pincode": BAD_PIN},
                  {"email", "pincode"}),
                 ({"user_name": "", "email": unique_email("u"), "pincode": BAD_PIN},
                  {"user_name", "pincode"}),
                 ({"user_name": "A\u0007nn", "email": bad_email("c"), "pincode": GOOD_PIN},
                  {"user_name", "email"}),
                 ({"user_name": "x" * 257, "email": unique_email("u"), "pincode": GOOD_PIN},
                  {"user_name"}),
                 ({"user_name": "Ann", "email": unique_email("m")}, {"pincode"}),
                 ({"user_name": "Ann", "pincode": GOOD_PIN}, {"email"}),
                 ({"email": unique_email("m"), "pincode": BAD_PIN}, {"user_name", "pincode"})]
        for fields, failing in cases:
            with self.subTest(fields=fields):
                resp = self.server.request("GET", "/?" + h.encode_fields(fields))
                self.assertValidationFailed(resp, failing)
        self.assertEqual(len(self.admin.approvals()), before, "a 400 created an approval")

    def test_all_valid_is_still_201_then_200(self):
        email = unique_email("valid")
        self.assertStoredItem(self.server.ingest("Val", email, GOOD_PIN), 201, "Val", email,
                              GOOD_PIN)
        self.assertStoredItem(self.server.ingest("Val", email, "1234"), 200, "Val", email,
                              "1234")
        self.assertIsNone(self.admin.approval_for(email))


class ApprovalsTest(AdminTestBase):
    """The approvals list, approve/reject, second decisions, unknown ids."""

    def test_list_entry_shape(self):
        started = time.time()
        email, arn = self.ingest_pending("List Me", pincode="abc")
        entry = self.approval(email)
        self.assertTrue(APPROVAL_KEYS <= set(entry), entry)
        self.assertIsInstance(entry["id"], str)
        self.assertRegex(entry["id"], r"^[A-Za-z0-9_.~-]+$", "the id is URL-safe")
        self.assertIsInstance(entry["task_token"], str)
        self.assertTrue(entry["task_token"])
        self.assertEqual(entry["execution"], arn)
        self.assertTrue(arn.endswith(":" + entry["id"]) or entry["id"] in arn, entry)
        item = entry["input"]["item"]
        self.assertEqual((item["user_name"], item["email"], item["pincode"]),
                         ("List Me", email, "abc"), entry)
        self.assertEqual(set(entry["input"]["fields"]), {"pincode"}, entry)
        self.assertIsInstance(entry["input"]["fields"]["pincode"], str)
        self.assertTrue(entry["input"]["fields"]["pincode"].strip())
        created, expires = h.time_value(entry["created_at"]), h.time_value(entry["expires_at"])
        self.assertLessEqual(abs(float(created) - started), 30, entry)
        self.assertAlmostEqual(float(expires - created), APPROVAL_TIMEOUT_S, delta=5,
                               msg=f"--approval-timeout 1h: {entry}")

    def test_approve_stores_the_item_once_and_second_decisions_are_409(self):
        email, arn = self.ingest_pending("Approve Me")
        entry = self.approval(email)
        self.assertEqual(self.listed(email), [])
        self.assertDecided(self.admin.decide(entry["id"], "approve"), "SUCCEEDED")
        self.assertItem(self.listed(email)[0], "Approve Me", email, BAD_PIN)
        self.assertIsNone(self.admin.approval_for(email), "still listed after approval")
        self.assertEqual(self.admin.describe(arn)["status"], "SUCCEEDED")
        for decision in ("approve", "reject", "approve"):
            with self.subTest(second=decision):
                self.assertErrorJson(self.admin.decide(entry["id"], decision), 409)
        self.assertEqual(len(self.listed(email)), 1)
        resp = self.admin.sfn("SendTaskSuccess", {"taskToken": entry["task_token"],
                                                  "output": "{}"})
        self.assertAwsError(resp, "TaskTimedOut")
        self.assertEqual(len(self.listed(email)), 1)

    def test_reject_never_stores_and_second_decisions_are_409(self):
        email, arn = self.ingest_pending("Reject Me", email=bad_email("rej"), pincode=GOOD_PIN)
        entry = self.approval(email)
        resp = self.admin.decide(entry["id"], "reject")
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/json", resp.describe())
        self.assertNotIn(resp.json().get("status"), ("RUNNING", "SUCCEEDED"), resp.describe())
        self.assertEqual(self.listed(email), [])
        self.assertIsNone(self.admin.approval_for(email))
        self.assertNotEqual(self.admin.describe(arn)["status"], "RUNNING")
        for decision in ("approve", "reject"):
            with self.subTest(second=decision):
                self.assertStatus(self.admin.decide(entry["id"], decision), 409)
        self.assertEqual(self.listed(email), [])

    def test_unknown_id_is_404(self):
        for approval_id in ("no-such-approval", "00000000-0000-4000-8000-000000000000",
                            "%2e%2e", "x" * 300):
            for decision in ("approve", "reject"):
                with self.subTest(id=approval_id, decision=decision):
                    resp = self.admin.request("POST", f"/approvals/{approval_id}/{decision}")
                    self.assertErrorJson(resp, 404)

    def test_16_concurrent_approvals_one_success_fifteen_409_one_item(self):
        email, arn = self.ingest_pending("Race Sixteen")
        entry = self.approval(email)
        results = h.race(16, lambda i: self.admin.decide(entry["id"], "approve", timeout=30))
        statuses = h.statuses_of(results)
        self.assertEqual(sorted(statuses, key=str), [200] + [409] * 15, statuses)
        self.assertEqual(len(self.listed(email)), 1)
        self.assertEqual(self.admin.describe(arn)["status"], "SUCCEEDED")

    def test_approve_and_reject_racing_decide_once(self):
        email, _ = self.ingest_pending("Race Mixed")
        entry = self.approval(email)
        results = h.race(16, lambda i: self.admin.decide(
            entry["id"], ("approve", "reject")[i % 2], timeout=30))
        statuses = h.statuses_of(results)
        self.assertEqual(sorted(statuses, key=str), [200] + [409] * 15, statuses)
        winner = statuses.index(200)
        stored = self.listed(email)
        self.assertEqual(len(stored), 1 if winner % 2 == 0 else 0,
                         f"winner was {('approve', 'reject')[winner % 2]}: {stored}")

    def test_html_page_lists_pending_with_buttons_and_escapes(self):
        hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;'
        email, _ = self.ingest_pending(hostile)
        entry = self.approval(email)
        page, resp = self.page()
        self.assertNotIn("<img src=x", resp.text)
        self.assertNotIn("<script>alert(2)", resp.text)
        self.assertIn(hostile, "".join(page.text), "the hostile user_name shows as text")
        self.assertIn(email, "".join(page.text))
        for decision, word in (("approve", "approve"), ("reject", "reject")):
            forms = page.forms_for(entry["id"], decision)
            self.assertEqual(len(forms), 1, f"{decision} form for {entry['id']}: {page.forms}")
            self.assertEqual(forms[0]["method"], "post")
            self.assertTrue(any(word in b.lower() for b in forms[0]["buttons"]), forms[0])
        # A browser's Accept header alone selects the page.
        browser = self.admin.request("GET", "/approvals", auth="basic",
                                     headers={"Accept": h.BROWSER_ACCEPT})
        self.assertStatus(browser, 200)
        self.assertEqual(browser.content_type, "text/html", browser.describe())


class SfnApiTest(AdminTestBase):
    """The Step Functions JSON API with the bearer token (SigV4 is in AuthTest and the CLI)."""

    def test_errors_have_aws_shapes(self):
        resp = self.admin.sfn("SendTaskSuccess", {"taskToken": "garbage!!", "output": "{}"})
        self.assertAwsError(resp, "InvalidToken")
        resp = self.admin.sfn("SendTaskHeartbeat", {"taskToken": "garbage!!"})
        self.assertAwsError(resp, "InvalidToken")
        resp = self.admin.sfn("DescribeExecution", {"executionArn": ARN_PREFIX + "nope"})
        self.assertAwsError(resp, "ExecutionDoesNotExist")
        resp = self.admin.sfn("NoSuchOperation", {})
        self.assertStatus(resp, 400)
        self.assertTrue(h.aws_error_type(resp), resp.describe())

    def test_send_task_success_and_failure_and_heartbeat(self):
        email_ok, arn_ok = self.ingest_pending("Sfn Ok")
        email_no, arn_no = self.ingest_pending("Sfn No")
        ok, no = self.approval(email_ok), self.approval(email_no)
        resp = self.admin.sfn("SendTaskHeartbeat", {"taskToken": ok["task_token"]})
        self.assertStatus(resp, 200)
        resp = self.admin.sfn("SendTaskSuccess", {"taskToken": ok["task_token"],
                                                  "output": "{}"})
        self.assertStatus(resp, 200)
        resp = self.admin.sfn("SendTaskFailure", {"taskToken": no["task_token"],
                                                  "error": "Nope", "cause": "test"})
        self.assertStatus(resp, 200)
        h.wait_until(lambda: self.admin.describe(arn_ok)["status"] != "RUNNING", 10)
        h.wait_until(lambda: self.admin.describe(arn_no)["status"] != "RUNNING", 10)
        described = self.admin.describe(arn_ok)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        self.assertEqual(described["executionArn"], arn_ok)
        self.assertEqual(described["stateMachineArn"],
                         f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:ingestd")
        self.assertIsInstance(described["startDate"], (int, float), described)
        self.assertIsInstance(described["stopDate"], (int, float), described)
        self.assertEqual(decode_json(described["input"]).get("email"), email_ok, described)
        self.assertEqual(self.admin.describe(arn_no)["status"], "FAILED")
        self.assertItem(self.listed(email_ok)[0], "Sfn Ok", email_ok, BAD_PIN)
        self.assertEqual(self.listed(email_no), [])
        resp = self.admin.sfn("SendTaskHeartbeat", {"taskToken": ok["task_token"]})
        self.assertAwsError(resp, "TaskTimedOut")

    def test_16_concurrent_send_task_success_one_wins(self):
        email, arn = self.ingest_pending("Sfn Race")
        token = self.approval(email)["task_token"]
        # Half bearer, half SigV4: both paths decide through the same exactly-once.
        results = h.race(16, lambda i: self.admin.sfn(
            "SendTaskSuccess", {"taskToken": token, "output": "{}"},
            auth=("bearer", "sigv4")[i % 2], timeout=30))
        statuses = h.statuses_of(results)
        self.assertEqual(sorted(statuses, key=str), [200] + [400] * 15, statuses)
        for r in results:
            if r.status == 400:
                self.assertEqual(h.aws_error_type(r), "TaskTimedOut", r.describe())
        h.wait_until(lambda: self.admin.describe(arn)["status"] != "RUNNING", 10)
        self.assertEqual(self.admin.describe(arn)["status"], "SUCCEEDED")
        self.assertEqual(len(self.listed(email)), 1)

    def test_unknown_well_formed_token_is_task_does_not_exist(self):
        # A token minted by another ingestd (another store): well-formed, unknown here.
        other = self.new_server(extra_args=h.admin_server_args(region=REGION, account=ACCOUNT))
        other.start()
        email = unique_email("foreign")
        self.assertStatus(other.ingest("Foreign", email, BAD_PIN), 202)
        token = h.AdminClient(other, region=REGION).approval_for(email)["task_token"]
        other.stop()
        resp = self.admin.sfn("SendTaskSuccess", {"taskToken": token, "output": "{}"})
        self.assertAwsError(resp, "TaskDoesNotExist")
        self.assertEqual(self.listed(email), [])

    def test_start_and_list_executions(self):
        email = unique_email("start")
        resp = self.admin.sfn("StartExecution", {
            "stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:ingestd",
            "name": f"it-start-{os.getpid()}-{int(time.time() * 1000)}",
            "input": json.dumps({"user_name": "Started", "email": email,
                                 "pincode": GOOD_PIN})})
        self.assertStatus(resp, 200)
        arn = resp.json()["executionArn"]
        self.assertRegex(arn, EXECUTION_ARN)
        self.assertIsInstance(resp.json()["startDate"], (int, float))
        h.wait_until(lambda: self.admin.describe(arn)["status"] != "RUNNING", 10)
        self.assertEqual(self.admin.describe(arn)["status"], "SUCCEEDED")
        self.assertItem(self.listed(email)[0], "Started", email, GOOD_PIN)
        resp = self.admin.sfn("ListExecutions", {
            "stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:ingestd",
            "maxResults": 1000})
        self.assertStatus(resp, 200)
        arns = [e["executionArn"] for e in resp.json()["executions"]]
        self.assertIn(arn, arns)


def verify_signature(testcase, delivery):
    """The X-Ingestd-Signature-256 header is the HMAC-SHA256 of the raw body."""
    header = delivery.headers.get("x-ingestd-signature-256", "")
    testcase.assertTrue(header.startswith("sha256="), delivery.headers)
    expected = "sha256=" + hmac.new(h.WEBHOOK_SECRET.encode(), delivery.body,
                                    hashlib.sha256).hexdigest()
    testcase.assertTrue(hmac.compare_digest(header.encode(), expected.encode()),
                        f"signature {header} does not verify (expected {expected})")
    wrong = "sha256=" + hmac.new(b"another secret", delivery.body, hashlib.sha256).hexdigest()
    testcase.assertFalse(hmac.compare_digest(header.encode(), wrong.encode()))


def _retry_twice(body, attempt):
    item = ((body or {}).get("input") or {}).get("item") or {}
    if str(item.get("user_name", "")).startswith("Retry") and attempt < 2:
        return 503
    return 204


class WebhookTest(AdminTestBase):
    webhook_respond = staticmethod(_retry_twice)

    def wait_deliveries(self, email, count=1):
        return h.wait_until(
            lambda: (lambda d: d if len(d) >= count else None)(self.receiver.matching(
                lambda b: b["input"]["item"]["email"] == email)),
            WEBHOOK_WAIT_S, message=f"{count} webhook deliveries for {email}")

    def test_signed_notification_with_links_that_work(self):
        email, arn = self.ingest_pending("Hook Hanna")
        entry = self.approval(email)
        delivery = self.wait_deliveries(email)[0]
        verify_signature(self, delivery)
        self.assertEqual(delivery.headers.get("x-ingestd-event"), "approval.pending")
        self.assertTrue(delivery.headers.get("x-ingestd-delivery"), delivery.headers)
        self.assertTrue(delivery.headers.get("x-ingestd-timestamp"), delivery.headers)
        self.assertEqual(delivery.headers.get("content-type", "").split(";")[0],
                         "application/json")
        body = delivery.json()
        self.assertTrue(WEBHOOK_KEYS <= set(body), body)
        self.assertEqual(body["event"], "approval.pending")
        self.assertEqual(body["id"], entry["id"])
        self.assertEqual(body["task_token"], entry["task_token"])
        self.assertEqual(body["execution"], arn)
        self.assertEqual(body["input"]["item"],
                         {"user_name": "Hook Hanna", "email": email, "pincode": BAD_PIN})
        self.assertEqual(set(body["input"]["fields"]), {"pincode"})
        self.assertEqual(h.time_value(body["expires_at"]), h.time_value(entry["expires_at"]))
        for key, decision in (("approve_url", "approve"), ("reject_url", "reject")):
            url = urllib.parse.urlsplit(body[key])
            self.assertEqual(url.scheme, "http", body[key])
            self.assertEqual(url.port, self.server.admin_port, body[key])
            self.assertEqual(url.path, f"/approvals/{entry['id']}/{decision}", body[key])
        resp = self.admin.request("POST", h.relative_target(
            f"http://{h.HOST}:{self.server.admin_port}/", body["approve_url"]))
        self.assertDecided(resp, "SUCCEEDED")
        self.assertEqual(len(self.listed(email)), 1)

    def test_delivery_is_retried_after_5xx(self):
        email, _ = self.ingest_pending("Retry Rita")
        deliveries = self.wait_deliveries(email, 3)
        self.assertEqual([d.answered for d in deliveries[:3]], [503, 503, 204])
        for d in deliveries:
            verify_signature(self, d)
            self.assertEqual(d.json()["input"]["item"]["email"], email)
        time.sleep(0.5)
        self.assertEqual(len(self.receiver.matching(
            lambda b: b["input"]["item"]["email"] == email)), 3, "delivered again after 2xx")

    def test_one_delivery_per_pending_approval(self):
        emails = [self.ingest_pending(f"Each {i}")[0] for i in range(3)]
        for email in emails:
            self.wait_deliveries(email)
        time.sleep(0.5)
        for email in emails:
            self.assertEqual(len(self.receiver.matching(
                lambda b, e=email: b["input"]["item"]["email"] == e)), 1)


def _slow(body, attempt):
    time.sleep(4)
    return 204


class SlowWebhookTest(AdminTestBase):
    """A webhook that takes seconds to answer never holds up an ingest."""

    webhook_respond = staticmethod(_slow)

    def test_ingest_answers_while_the_webhook_is_slow(self):
        for i in range(3):
            started = time.monotonic()
            self.ingest_pending(f"Slow {i}")
            self.assertLess(time.monotonic() - started, 2.0, "the 202 waited for the webhook")


class ConfigTest(h.ServerTestCase):
    """The admin listener is off without a token; every admin flag works as INGESTD_<NAME>."""

    start_class_server = False

    def test_no_token_no_admin_listener(self):
        server = self.new_server()
        server.start()
        with self.assertRaises(OSError, msg="the admin port accepts connections"):
            socket.create_connection((h.HOST, server.admin_port), timeout=2).close()
        log = server.log_text().lower()
        self.assertIn("admin", log)
        self.assertIn("token", log, "serve does not say why the admin listener is off")
        self.assertStatus(server.ingest("No Admin", unique_email("noadm"), BAD_PIN), 202)
        server.stop()

    def test_flags_as_environment_variables(self):
        receiver = h.WebhookReceiver().start()
        self.addCleanup(receiver.close)
        server = self.new_server(env={
            "INGESTD_ADMIN_TOKEN": h.ADMIN_TOKEN,
            "INGESTD_ADMIN_ACCESS_KEY_ID": h.ADMIN_ACCESS_KEY_ID,
            "INGESTD_ADMIN_SECRET_ACCESS_KEY": h.ADMIN_SECRET_ACCESS_KEY,
            "INGESTD_APPROVAL_WEBHOOK": receiver.url,
            "INGESTD_APPROVAL_WEBHOOK_SECRET": h.WEBHOOK_SECRET,
            "INGESTD_APPROVAL_TIMEOUT": "90s",
            "INGESTD_REGION": "eu-north-1",
            "INGESTD_ACCOUNT": "111122223333"})
        server.start()
        admin = h.AdminClient(server, region="eu-north-1")
        email = unique_email("env")
        resp = server.ingest("Env Eve", email, BAD_PIN)
        self.assertStatus(resp, 202)
        self.assertTrue(resp.json()["execution"].startswith(
            "arn:aws:states:eu-north-1:111122223333:execution:ingestd:"), resp.describe())
        entry = admin.approval_for(email)
        self.assertIsNotNone(entry)
        self.assertAlmostEqual(float(h.time_value(entry["expires_at"]) -
                                     h.time_value(entry["created_at"])), 90, delta=2)
        described = admin.sfn("DescribeExecution", {"executionArn": entry["execution"]},
                              auth="sigv4")
        self.assertStatus(described, 200)
        delivery = h.wait_until(lambda: receiver.for_id(entry["id"]), WEBHOOK_WAIT_S,
                                message="webhook delivery")[0]
        verify_signature(self, delivery)
        server.stop()


@unittest.skipUnless(os.access(AWS_CLI, os.X_OK), f"{AWS_CLI} (Debian awscli) not installed")
class AwsCliTest(AdminTestBase):
    """Debian's AWS CLI signs with SigV4 and talks to the admin listener at /sfn."""

    def aws(self, *args, secret=h.ADMIN_SECRET_ACCESS_KEY):
        home = tempfile.mkdtemp(prefix="ingestd-it-aws-")
        self.addCleanup(shutil.rmtree, home, True)
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "AWS_ACCESS_KEY_ID": h.ADMIN_ACCESS_KEY_ID,
               "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": REGION,
               "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "",
               "AWS_MAX_ATTEMPTS": "1", "AWS_CONFIG_FILE": os.path.join(home, "config"),
               "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "credentials")}
        return subprocess.run(
            [AWS_CLI, "stepfunctions", *args, "--endpoint-url",
             f"http://{h.HOST}:{self.server.admin_port}/sfn", "--output", "json"],
            env=env, capture_output=True, text=True, timeout=60)

    def test_send_task_success_and_describe_execution(self):
        email, arn = self.ingest_pending("Cli Carla")
        entry = self.approval(email)
        wrong = self.aws("send-task-success", "--task-token", entry["task_token"],
                         "--task-output", "{}", secret=h.ADMIN_SECRET_ACCESS_KEY + "x")
        self.assertNotEqual(wrong.returncode, 0, wrong.stdout)
        self.assertIsNotNone(self.admin.approval_for(email), "a wrong secret decided")
        done = self.aws("send-task-success", "--task-token", entry["task_token"],
                        "--task-output", "{}")
        self.assertEqual(done.returncode, 0, done.stderr)
        h.wait_until(lambda: self.admin.describe(arn)["status"] != "RUNNING", 10)
        described = self.aws("describe-execution", "--execution-arn", arn)
        self.assertEqual(described.returncode, 0, described.stderr)
        body = json.loads(described.stdout)
        self.assertEqual(body["status"], "SUCCEEDED", body)
        self.assertEqual(body["executionArn"], arn)
        self.assertItem(self.listed(email)[0], "Cli Carla", email, BAD_PIN)
        again = self.aws("send-task-success", "--task-token", entry["task_token"],
                         "--task-output", "{}")
        self.assertEqual(again.returncode, 254, again.stderr)
        self.assertIn("TaskTimedOut", again.stderr)
        wrong = self.aws("describe-execution", "--execution-arn", arn,
                         secret=h.ADMIN_SECRET_ACCESS_KEY + "x")
        self.assertNotEqual(wrong.returncode, 0, wrong.stdout)
        self.assertNotIn("SUCCEEDED", wrong.stdout)


if __name__ == "__main__":
    unittest.main()
