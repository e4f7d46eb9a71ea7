"""Heartbeats of a callback task, end to end (issue 6): a workflow whose callback task has
HeartbeatSeconds stays waiting while SendTaskHeartbeat keeps arriving, and fails with
States.HeartbeatTimeout once they stop; the token is then over (TaskTimedOut)."""

import json
import os
import shutil
import tempfile
import time
import unittest

import ingestd_harness as h
from ingestd_harness import unique_email

HEARTBEAT_SECONDS = 2
WORKFLOW = {
    "Comment": "One callback task with a heartbeat (test workflow).",
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::ingestd:approval.waitForTaskToken",
            "Parameters": {"TaskToken.$": "$$.Task.Token", "item": {"email.$": "$.email"}},
            "TimeoutSeconds": 120,
            "HeartbeatSeconds": HEARTBEAT_SECONDS,
            "End": True,
        }
    },
}
STATE_MACHINE = f"arn:aws:states:{h.DEFAULT_REGION}:{h.DEFAULT_ACCOUNT}:stateMachine:ingestd"


class HeartbeatTest(h.ServerTestCase):
    start_class_server = False

    def test_heartbeats_keep_the_task_alive_until_they_stop(self):
        tmp = tempfile.mkdtemp(prefix="ingestd-heartbeat-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        path = os.path.join(tmp, "heartbeat.asl.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(WORKFLOW, f)
        server = self.new_server(extra_args=["--workflow", path, *h.admin_server_args()])
        server.start()
        admin = h.AdminClient(server)

        email = unique_email("beat")
        resp = admin.sfn("StartExecution", {"stateMachineArn": STATE_MACHINE,
                                            "input": json.dumps({"email": email})})
        self.assertEqual(resp.status, 200, resp.describe())
        arn = resp.json()["executionArn"]
        token = h.wait_until(lambda: (admin.approval_for(email) or {}).get("task_token"), 10,
                             message="the callback task is listed")

        # Beat every second for longer than HeartbeatSeconds: the task keeps waiting.
        started = time.monotonic()
        while time.monotonic() - started < HEARTBEAT_SECONDS * 1.6:
            time.sleep(HEARTBEAT_SECONDS / 2)
            beat = admin.sfn("SendTaskHeartbeat", {"taskToken": token})
            self.assertEqual(beat.status, 200, beat.describe())
            self.assertEqual(beat.json(), {})
        self.assertEqual(admin.describe(arn)["status"], "RUNNING")

        # No more heartbeats: the task times out, the execution fails with that error.
        described = h.wait_until(
            lambda: (lambda d: d if d["status"] != "RUNNING" else None)(admin.describe(arn)),
            HEARTBEAT_SECONDS * 4, message="the heartbeat timeout ends the execution")
        self.assertEqual(described["status"], "FAILED", described)
        self.assertEqual(described.get("error"), "States.HeartbeatTimeout", described)
        late = admin.sfn("SendTaskHeartbeat", {"taskToken": token})
        self.assertEqual(late.status, 400, late.describe())
        self.assertEqual(late.json().get("__type"), "TaskTimedOut", late.describe())
        self.assertIsNone(admin.approval_for(email))


if __name__ == "__main__":
    unittest.main()
