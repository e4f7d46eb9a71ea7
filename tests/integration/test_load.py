"""`ingestd load` against a real `ingestd serve`: counts, statuses, and the store's contents.

Run: INGESTD_BIN=build/release/ingestd python3 -m unittest -v test_load
"""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

BIN = os.environ.get("INGESTD_BIN", "ingestd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class LoadAgainstServe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ingestd-load-")
        cls.port = free_port()
        cls.base = f"http://127.0.0.1:{cls.port}"
        cls.server_log = open(os.path.join(cls.tmp.name, "serve.log"), "wb")
        cls.server = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{cls.port}", "--data",
             os.path.join(cls.tmp.name, "data")],
            stdout=cls.server_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if http_get(cls.base + "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            if cls.server.poll() is not None or time.monotonic() > deadline:
                cls.tearDownClass()
                raise RuntimeError("ingestd serve did not come up")
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        if cls.server.poll() is None:
            os.kill(cls.server.pid, signal.SIGTERM)
            try:
                cls.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(cls.server.pid, signal.SIGKILL)
                cls.server.wait()
        cls.server_log.close()
        cls.tmp.cleanup()

    def load(self, *args, expect_exit=0):
        report = os.path.join(self.tmp.name, f"report-{time.monotonic_ns()}.json")
        proc = subprocess.run([BIN, "load", "--url", self.base + "/", "--report", report, *args],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, expect_exit,
                         f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        with open(report) as f:
            return json.load(f), proc

    def stored_items(self):
        """Every item, walking the list's pages through their Link headers."""
        items = []
        url = self.base + "/?limit=1000"
        for _ in range(10000):
            status, headers, body = http_get(url)
            self.assertEqual(status, 200, body)
            items.extend(json.loads(body))
            link = headers.get("Link") or headers.get("link")
            if not link:
                return items
            m = re.search(r'<([^>]*)>\s*;\s*rel="?next"?', link)
            self.assertIsNotNone(m, link)
            url = urllib.parse.urljoin(self.base + "/", m.group(1))
        self.fail("the list never ended")

    def test_fixed_rate_run_sends_the_schedule_and_stores_every_item(self):
        before = {item["id"] for item in self.stored_items()}
        report, _ = self.load("--workers", "2", "--rate", "10", "--duration", "2s")
        self.assertEqual(report["requests"]["sent"], 40)  # 2 workers x 10/s x 2 s
        self.assertEqual(report["requests"]["responses"], 40)
        self.assertEqual(report["status"], {"201": 40})  # every email new: every request inserts
        self.assertEqual(report["requests"]["errors"], 0)
        self.assertAlmostEqual(report["achieved_rate"], 20, delta=1)
        after = self.stored_items()
        new = [item for item in after if item["id"] not in before]
        self.assertEqual(len(new), 40)
        for item in new:
            self.assertRegex(item["email"], r"^[A-Za-z]+[A-Za-z0-9]*@[A-Za-z0-9]+\.com$")
            self.assertRegex(item["pincode"], r"^[0-9]{4,6}$")
            self.assertTrue(1 <= len(item["user_name"]) <= 256)

    def test_invalid_ratio_answers_match_what_was_sent(self):
        before = len(self.stored_items())
        report, _ = self.load("--workers", "2", "--rate", "25", "--duration", "2s",
                              "--invalid-ratio", "0.4", "--max-error-rate", "0")
        invalid = report["data"]["invalid"]
        invalid_total = sum(invalid.values())
        valid = report["data"]["valid"]
        self.assertEqual(valid + invalid_total, 100)
        self.assertGreater(invalid_total, 10)
        status = report["status"]
        self.assertEqual(status.get("201", 0), valid)
        # Exactly one of email/pincode invalid goes to an admin (202); a missing or invalid
        # user name is a 400.
        self.assertEqual(status.get("400", 0) + status.get("202", 0), invalid_total)
        self.assertLessEqual(status.get("202", 0), invalid["email"] + invalid["pincode"])
        self.assertGreaterEqual(status.get("400", 0), invalid["user_name"])
        self.assertEqual(report["requests"]["errors"], 0)
        self.assertEqual(len(self.stored_items()) - before, valid)

    def test_seed_scenario_two_workers_one_request_a_second(self):
        report, proc = self.load("--workers", "2", "--rate", "1", "--duration", "5s")
        self.assertEqual(report["requests"]["sent"], 10)
        self.assertEqual(report["status"], {"201": 10})
        self.assertAlmostEqual(report["elapsed_s"], 5, delta=0.5)
        self.assertAlmostEqual(report["achieved_rate"], 2, delta=0.2)
        self.assertIn("201: 10", proc.stdout)
        # Not a terminal: one plain progress line a second, no carriage returns.
        self.assertNotIn("\r", proc.stderr)
        self.assertGreaterEqual(proc.stderr.count("req/s"), 3)

    def test_fixed_data_sends_the_seeds_triple(self):
        report, _ = self.load("--data", "fixed", "--rate", "max", "--requests", "3",
                              "--connections", "1")
        status = report["status"]
        self.assertEqual(status.get("201", 0) + status.get("200", 0), 3)
        self.assertGreaterEqual(status.get("200", 0), 2)  # the same email again replaces it
        ids = [item["id"] for item in self.stored_items()]
        self.assertIn("rishabh@example.com", ids)

    def test_gates_make_the_exit_code_one(self):
        report, proc = self.load("--rate", "max", "--requests", "20", "--max-p99", "1us",
                                 expect_exit=1)
        self.assertFalse(report["gates"]["passed"])
        self.assertIn("--max-p99", proc.stderr)
        report, _ = self.load("--rate", "max", "--requests", "20", "--max-p99", "10s",
                              "--max-error-rate", "0")
        self.assertTrue(report["gates"]["passed"])


if __name__ == "__main__":
    unittest.main()
