"""Pending approvals are durable (issue 6): they survive SIGTERM and kill -9, stay listed and
approvable, and are stored exactly once; an approval timeout that passes while the process is
down ends the execution with States.Timeout once it is back, and nothing is stored."""

import http.client
import threading
import time
import unittest

import ingestd_harness as h
from ingestd_harness import unique_email

BAD_PIN = "12"
STATE_MACHINE = f"arn:aws:states:{h.DEFAULT_REGION}:{h.DEFAULT_ACCOUNT}:stateMachine:ingestd"
EXECUTION_PREFIX = f"arn:aws:states:{h.DEFAULT_REGION}:{h.DEFAULT_ACCOUNT}:execution:ingestd:"


class AdminRestartTest(h.ServerTestCase):
    start_class_server = False

    def start(self, **admin):
        """A server of this test's own with the admin listener on (default region/account)."""
        server = self.new_server(extra_args=h.admin_server_args(**admin))
        server.start()
        return server, h.AdminClient(server)

    def ingest_pending(self, server, user_name, email):
        started = time.monotonic()
        resp = server.ingest(user_name, email, BAD_PIN)
        self.assertStatus(resp, 202)
        body = resp.json()
        self.assertEqual(body.get("status"), "pending_approval", resp.describe())
        self.assertTrue(body.get("execution", "").startswith(EXECUTION_PREFIX), resp.describe())
        return body["execution"], time.monotonic() - started

    def listed(self, server, email):
        return [i for i in server.list_all() if i.get("id") == email]

    def assertStillPending(self, server, admin, email, arn, context):
        entry = admin.approval_for(email)
        self.assertIsNotNone(entry, f"{context}: the approval is gone: {admin.approvals()}")
        self.assertEqual(entry["execution"], arn, context)
        self.assertEqual(entry["input"]["item"]["email"], email, context)
        self.assertEqual(admin.describe(arn)["status"], "RUNNING", context)
        self.assertEqual(self.listed(server, email), [], context)
        return entry

    def approve_and_check_once(self, server, admin, email, entry, user_name):
        resp = admin.decide(entry["id"], "approve")
        self.assertStatus(resp, 200)
        self.assertEqual(resp.json().get("status"), "SUCCEEDED", resp.describe())
        self.assertStatus(admin.decide(entry["id"], "approve"), 409)
        items = self.listed(server, email)
        self.assertEqual(len(items), 1, items)
        self.assertItem(items[0], user_name, email, BAD_PIN)

    def test_pending_approval_survives_sigterm_and_kill9(self):
        server, admin = self.start()
        pending = {}
        for tag in ("term", "kill", "both"):
            email = unique_email(tag)
            pending[tag] = (email, self.ingest_pending(server, f"Keep {tag}", email)[0])
        before = {tag: admin.approval_for(email) for tag, (email, _) in pending.items()}

        server.stop(expect_code=0)  # SIGTERM
        server.start()
        for tag, (email, arn) in pending.items():
            entry = self.assertStillPending(server, admin, email, arn, "after SIGTERM")
            self.assertEqual(entry["id"], before[tag]["id"])
            self.assertEqual(entry["task_token"], before[tag]["task_token"])
        email, _ = pending["term"]
        self.approve_and_check_once(server, admin, email, before["term"], "Keep term")

        server.kill9()
        server.start()
        for tag in ("kill", "both"):
            email, arn = pending[tag]
            self.assertStillPending(server, admin, email, arn, "after kill -9")
        email, _ = pending["kill"]
        self.approve_and_check_once(server, admin, email, before["kill"], "Keep kill")
        # The approval before the crash stays decided: stored once, still 409.
        email, arn = pending["term"]
        self.assertEqual(len(self.listed(server, email)), 1)
        self.assertStatus(admin.decide(before["term"]["id"], "approve"), 409)
        self.assertEqual(admin.describe(arn)["status"], "SUCCEEDED")

        server.kill9()
        server.start()
        email, arn = pending["both"]
        self.assertStillPending(server, admin, email, arn, "after a second kill -9")
        resp = admin.sfn("SendTaskSuccess", {"taskToken": before["both"]["task_token"],
                                             "output": "{}"})
        self.assertStatus(resp, 200)
        h.wait_until(lambda: admin.describe(arn)["status"] == "SUCCEEDED", 10,
                     message="SendTaskSuccess after kill -9 finishes the execution")
        self.assertEqual(len(self.listed(server, email)), 1)
        server.stop(expect_code=0)

    def test_kill9_while_approving_stores_each_item_once(self):
        server, admin = self.start()
        pending = []
        for i in range(24):
            email = unique_email("mid")
            self.ingest_pending(server, f"Mid {i}", email)
            pending.append((email, admin.approval_for(email)["id"]))
        answers = {}
        lock = threading.Lock()

        def approve_all(part):
            for email, approval_id in part:
                try:
                    resp = admin.decide(approval_id, "approve", timeout=10)
                except (OSError, http.client.HTTPException):
                    return  # the server is gone
                with lock:
                    answers[email] = resp.status

        threads = [threading.Thread(target=approve_all, args=(pending[i::4],))
                   for i in range(4)]
        for t in threads:
            t.start()
        h.wait_until(lambda: len(answers) >= 6, 15, interval=0.005, message="approvals")
        server.kill9()  # approvals in flight
        for t in threads:
            t.join(15)
        self.assertTrue(all(status == 200 for status in answers.values()), answers)
        server.start()

        def state():
            listed = {}
            for item in server.list_all():
                listed.setdefault(item["id"], []).append(item)
            waiting = {(e.get("input") or {}).get("item", {}).get("email")
                       for e in admin.approvals()}
            return listed, waiting

        # A decision that was durable but unfinished at the crash is replayed after the
        # restart: wait (bounded) until every item is either stored or pending.
        listed, waiting = h.wait_until(
            lambda: (lambda st: st if all(
                bool(st[0].get(e)) != (e in st[1]) for e, _ in pending) else None)(state()),
            10, interval=0.1, message="every item stored or pending after the restart")
        for email, approval_id in pending:
            count = len(listed.get(email, []))
            self.assertLessEqual(count, 1, f"{email} stored {count} times")
            if email in answers:
                self.assertEqual(count, 1, f"{email} was approved (200) but is not stored")
            self.assertNotEqual(count == 1, email in waiting,
                                f"{email}: stored={count} and pending={email in waiting}")
        # Approve what is still pending: every item ends stored exactly once.
        for email, approval_id in pending:
            if email in waiting:
                self.assertStatus(admin.decide(approval_id, "approve"), 200)
            else:
                self.assertStatus(admin.decide(approval_id, "approve"), 409)
        counts = {}
        for item in server.list_all():
            counts[item["id"]] = counts.get(item["id"], 0) + 1
        self.assertEqual([counts.get(email, 0) for email, _ in pending], [1] * len(pending))
        server.stop(expect_code=0)

    def test_kill9_right_after_the_202_loses_no_pending_approval(self):
        server, admin = self.start()
        acked = []
        for i in range(20):
            email = unique_email("crash")
            arn, _ = self.ingest_pending(server, f"Crash {i}", email)
            acked.append((email, arn))
        server.kill9()  # immediately after the last 202
        server.start()
        listed = {(e.get("input") or {}).get("item", {}).get("email"): e
                  for e in admin.approvals()}
        missing = [email for email, _ in acked if email not in listed]
        self.assertEqual(missing, [], "acknowledged pending approvals lost by kill -9")
        for email, arn in acked:
            self.assertEqual(listed[email]["execution"], arn)
        server.stop(expect_code=0)

    def test_timeout_passing_while_down_ends_with_states_timeout(self):
        server, admin = self.start(approval_timeout="2s")
        email = unique_email("late")
        arn, took = self.ingest_pending(server, "Too Late", email)
        entry = admin.approval_for(email)
        self.assertIsNotNone(entry)
        down_at = time.monotonic()
        server.kill9()
        # Wait past the deadline (2 s after the 202) while the process is down.
        time.sleep(max(0.0, 3.0 - (time.monotonic() - down_at)))
        server.start()
        described = h.wait_until(
            lambda: (lambda d: d if d["status"] != "RUNNING" else None)(admin.describe(arn)),
            10, interval=0.1, message="the execution ends after the restart")
        self.assertIn(described["status"], ("FAILED", "TIMED_OUT"), described)
        self.assertEqual(described.get("error"), "States.Timeout", described)
        self.assertEqual(self.listed(server, email), [])
        self.assertIsNone(admin.approval_for(email), "a timed-out approval is still listed")
        self.assertStatus(admin.decide(entry["id"], "approve"), 409)
        self.assertStatus(admin.decide(entry["id"], "reject"), 409)
        resp = admin.sfn("SendTaskSuccess", {"taskToken": entry["task_token"], "output": "{}"})
        self.assertStatus(resp, 400)
        self.assertEqual(h.aws_error_type(resp), "TaskTimedOut", resp.describe())
        self.assertEqual(self.listed(server, email), [])
        # Restarting again changes nothing.
        server.stop(expect_code=0)
        server.start()
        described = admin.describe(arn)
        self.assertEqual(described.get("error"), "States.Timeout", described)
        self.assertEqual(self.listed(server, email), [])
        self.assertStatus(admin.decide(entry["id"], "approve"), 409)
        server.stop(expect_code=0)

    def test_timeout_while_running_fires_on_time(self):
        server, admin = self.start(approval_timeout="2s")
        email = unique_email("ontime")
        started = time.monotonic()
        arn, _ = self.ingest_pending(server, "On Time", email)
        entry = admin.approval_for(email)
        self.assertIsNotNone(entry)
        described = h.wait_until(
            lambda: (lambda d: d if d["status"] != "RUNNING" else None)(admin.describe(arn)),
            10, interval=0.1, message="the 2 s approval timeout fires")
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 1.9, "the timeout fired early")
        self.assertLess(elapsed, 6.0, "the timeout fired late")
        self.assertEqual(described.get("error"), "States.Timeout", described)
        self.assertStatus(admin.decide(entry["id"], "approve"), 409)
        self.assertEqual(self.listed(server, email), [])
        server.stop(expect_code=0)

    def test_executions_listed_after_restart(self):
        server, admin = self.start()
        email = unique_email("listed")
        arn, _ = self.ingest_pending(server, "Listed", email)
        server.kill9()
        server.start()
        resp = admin.sfn("ListExecutions", {"stateMachineArn": STATE_MACHINE,
                                            "statusFilter": "RUNNING", "maxResults": 1000})
        self.assertStatus(resp, 200)
        self.assertIn(arn, [e["executionArn"] for e in resp.json()["executions"]])
        server.stop(expect_code=0)


if __name__ == "__main__":
    unittest.main()
