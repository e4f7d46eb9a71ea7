"""Acknowledged means durable (kill -9 and SIGTERM under load), and `serve` refusing to start
on a data dir it cannot use safely, with a clear message and a non-zero exit."""

import http.client
import os
import random
import socket
import threading
import time
import unittest

import ingestd_harness as h

LOAD_THREADS = 8
KILL_CYCLES = 3
MAX_REQUESTS_PER_THREAD = 2000


class Load:
    """LOAD_THREADS threads ingesting distinct items over keep-alive connections until told to
    stop or until the server goes away; records every item acknowledged with a 2xx."""

    def __init__(self, server, tag):
        self.port = server.port
        self.tag = tag
        self.acked = []  # (user_name, email, pincode)
        self.unexpected = []  # non-2xx answers (descriptions)
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(LOAD_THREADS)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(15)
        alive = [t for t in self.threads if t.is_alive()]
        if alive:
            raise AssertionError(f"{len(alive)} load threads still blocked after 15 s")

    def count(self):
        with self.lock:
            return len(self.acked)

    def wait_for(self, n, timeout):
        deadline = time.monotonic() + timeout
        while self.count() < n and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.count() < n:
            raise AssertionError(f"only {self.count()} of {n} items acknowledged in {timeout}s; "
                                 f"unexpected answers: {self.unexpected[:3]}")

    def _run(self, worker):
        client = h.Client(self.port, timeout=10)
        try:
            for i in range(MAX_REQUESTS_PER_THREAD):
                if self.stop_event.is_set():
                    return
                email = h.unique_email(self.tag)
                item = (f"{self.tag} {worker}-{i}", email, f"{1000 + i % 9000}")
                try:
                    resp = client.ingest(*item, method=("GET", "PUT", "POST")[i % 3])
                except (OSError, http.client.HTTPException):
                    return  # the server is gone (killed or stopping): unacknowledged
                with self.lock:
                    if 200 <= resp.status < 300:
                        self.acked.append(item)
                    else:
                        self.unexpected.append(resp.describe(200))
        finally:
            client.close()


class DurabilityTest(h.ServerTestCase):
    start_class_server = False

    def assertAllPresent(self, server, acked, context):
        listed = {item["id"]: item for item in server.list_all()}
        missing = [email for _, email, _ in acked if email not in listed]
        self.assertEqual(missing[:5], [], f"{context}: {len(missing)} of {len(acked)} "
                         f"acknowledged items lost")
        for name, email, pin in acked:
            self.assertItem(listed[email], name, email, pin, context)
        return listed

    def test_kill9_under_load_loses_nothing_acknowledged(self):
        started = time.monotonic()
        server = self.new_server()
        all_acked = []
        for cycle in range(KILL_CYCLES):
            server.start()
            if cycle:
                self.assertAllPresent(server, all_acked, f"after kill -9 #{cycle}")
            with Load(server, f"kill{'abc'[cycle]}") as load:
                load.wait_for(150 + 100 * cycle, timeout=15)
                time.sleep(random.uniform(0.0, 0.2))  # land the kill at an arbitrary moment
                server.kill9()  # mid-load: requests are in flight
                load.stop()
            self.assertEqual(load.unexpected, [])
            all_acked.extend(load.acked)
        server.start()
        self.assertAllPresent(server, all_acked, f"after kill -9 #{KILL_CYCLES}")
        server.stop()
        self.assertLess(time.monotonic() - started, 60)

    def test_sigterm_with_requests_in_flight_exits_0_and_keeps_all(self):
        server = self.new_server()
        server.start()
        with Load(server, "term") as load:
            load.wait_for(200, timeout=15)
            server.stop(expect_code=0)  # SIGTERM while 8 clients are sending
            load.stop()
        self.assertEqual(load.unexpected, [])
        server.start()
        self.assertAllPresent(server, load.acked, "after SIGTERM")
        server.stop(expect_code=0)

    def test_sigint_exits_0(self):
        server = self.new_server()
        server.start()
        server.proc.send_signal(2)  # SIGINT, as Ctrl-C
        self.assertEqual(server.proc.wait(20), 0, server.log_tail())
        server._reap()

    def test_second_serve_on_same_data_dir_refuses(self):
        server = self.new_server()
        server.start()
        email = h.unique_email("first")
        self.assertStoredItem(server.ingest("First", email, "1234"), 201, "First", email, "1234")
        code, err = h.run_serve_expecting_failure(
            ["--listen", f"127.0.0.1:{h.free_port()}", "--admin-listen",
             f"127.0.0.1:{h.free_port()}", "--data", server.data_dir])
        self.assertClearFailure(code, err, server.data_dir, "lock", "already", "in use",
                                "another")
        # The first one is undisturbed.
        self.assertEqual(server.get("/healthz").status, 200)
        self.assertAllPresent(server, [("First", email, "1234")], "after the refused second")
        server.stop()

    def test_unwritable_data_dir_refuses(self):
        tmp = self.new_server().tmp
        blocker = os.path.join(tmp, "a-file")
        with open(blocker, "w") as f:
            f.write("not a directory\n")
        cases = [os.path.join(blocker, "data")]  # parent is a regular file: fails even as root
        if os.geteuid() != 0:
            readonly = os.path.join(tmp, "readonly")
            os.mkdir(readonly, 0o500)
            cases.append(os.path.join(readonly, "data"))  # cannot create
            cases.append(readonly)  # exists, cannot write
        for data in cases:
            with self.subTest(data=data):
                code, err = h.run_serve_expecting_failure(
                    ["--listen", f"127.0.0.1:{h.free_port()}", "--admin-listen",
                     f"127.0.0.1:{h.free_port()}", "--data", data])
                self.assertClearFailure(code, err, data, "permission", "denied",
                                        "not a directory", "read-only", "cannot", "unable")

    def test_port_in_use_refuses(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            data = os.path.join(self.new_server().tmp, "data")
            code, err = h.run_serve_expecting_failure(
                ["--listen", f"127.0.0.1:{port}", "--admin-listen",
                 f"127.0.0.1:{h.free_port()}", "--data", data])
        self.assertClearFailure(code, err, str(port), "in use", "address")

    def test_bad_flags_refuse(self):
        data = os.path.join(self.new_server().tmp, "data")
        for args, words in ((["--no-such-flag"], ("no-such-flag",)),
                            (["--listen", "not-a-host-port"], ("not-a-host-port", "listen")),
                            (["--listen", "127.0.0.1:99999"], ("99999", "listen", "port"))):
            with self.subTest(args=args):
                code, err = h.run_serve_expecting_failure([*args, "--data", data])
                self.assertClearFailure(code, err, *words)

    def test_garbage_database_file_refuses(self):
        data = os.path.join(self.new_server().tmp, "data")
        os.makedirs(data)
        db = os.path.join(data, "ingestd.db")
        garbage = b"this is not an SQLite database, it is garbage\n" * 200 + os.urandom(4096)
        with open(db, "wb") as f:
            f.write(garbage)
        code, err = h.run_serve_expecting_failure(
            ["--listen", f"127.0.0.1:{h.free_port()}", "--admin-listen",
             f"127.0.0.1:{h.free_port()}", "--data", data])
        self.assertClearFailure(code, err, "ingestd.db", "database", "corrupt", "not a")
        with open(db, "rb") as f:
            self.assertEqual(f.read(), garbage, "the garbage file was modified")

    def assertClearFailure(self, code, err, *words):
        """Non-zero exit, and stderr says why (mentions at least one of `words`)."""
        self.assertNotEqual(code, 0, f"exit code 0; output: {err[-1500:]}")
        self.assertTrue(err.strip(), f"exit code {code} with no message")
        lowered = err.lower()
        self.assertTrue(any(w.lower() in lowered for w in words),
                        f"the message mentions none of {words}: {err[-1500:]}")


if __name__ == "__main__":
    unittest.main()
