"""Harness for the black-box tests of the real `ingestd serve` binary (standard library only).

It starts `$INGESTD_BIN serve --listen 127.0.0.1:PORT --admin-listen 127.0.0.1:PORT2 --data DIR`
on free ports with a fresh temporary data directory, captures the server's stderr in a file
(shown, and copied under $INGESTD_TEST_OUTPUT, when a test fails), waits until GET /healthz
answers, and stops it by PID (SIGTERM and an exit-code check, or SIGKILL for crash tests).

    import ingestd_harness as h

    class ApiTest(h.ServerTestCase):          # one server per test class, started in setUpClass
        def test_health(self):
            resp = self.server.request("GET", "/healthz")
            self.assertEqual(resp.status, 200, resp.describe())

        def test_crash(self):
            server = self.new_server()        # a server of its own, cleaned up after the test
            server.start()
            server.kill9()
            server.start()                    # same data dir, new ports

Requests: `Server.request()` (http.client, one connection per call), `Client` (one keep-alive
connection, for load), `raw_exchange()` (raw bytes over a socket, for malformed requests).
Environment: INGESTD_BIN (the binary; default $INGESTD_SOURCE_DIR/build/release/ingestd),
INGESTD_TEST_OUTPUT (where logs of failed tests are copied), INGESTD_KEEP_TEMP=1 (keep data dirs).
"""

import base64
import dataclasses
import datetime
import decimal
import hashlib
import hmac
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

HOST = "127.0.0.1"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 20.0
ITEM_KEYS = frozenset({"id", "user_name", "email", "pincode", "created_at", "updated_at"})
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_RFC3339_UTC = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|\+00:00)")
_LINK_NEXT = re.compile(r'<([^>]*)>\s*;(?:[^,]*;)?\s*rel="?next"?', re.IGNORECASE)


class HarnessError(AssertionError):
    """The server could not be started or stopped as expected (reported as a test failure)."""


def source_dir():
    return os.environ.get("INGESTD_SOURCE_DIR") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))


def binary_path():
    path = os.environ.get("INGESTD_BIN") or os.path.join(
        source_dir(), "build", "release", "ingestd")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise HarnessError(
            f"ingestd binary not found or not executable: {path!r} "
            "(set INGESTD_BIN, or build it: cmake --build --preset release --target ingestd)")
    return path


def free_port():
    """A port that was free a moment ago (the kernel's choice for a bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def child_env(extra=None):
    """The environment for ingestd: ours without any INGESTD_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGESTD_")}
    env.update(extra or {})
    return env


# ---------------------------------------------------------------------------------------------
# Responses


@dataclasses.dataclass
class Response:
    status: int
    reason: str
    headers: list  # [(name, value)] in received order
    body: bytes
    method: str = ""
    target: str = ""

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError(f"body is not JSON ({e}): {self.describe()}") from None

    @property
    def content_type(self):
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def next_link(self):
        """The URL of the Link rel="next" header, or None."""
        for value in self.header_all("Link"):
            m = _LINK_NEXT.search(value)
            if m:
                return m.group(1)
        return None

    def describe(self, limit=600):
        body = self.body[:limit].decode("utf-8", errors="backslashreplace")
        more = f"... ({len(self.body)} bytes)" if len(self.body) > limit else ""
        hdrs = "; ".join(f"{k}: {v}" for k, v in self.headers)
        return (f"{self.method} {self.target[:200]} -> {self.status} {self.reason} [{hdrs}] "
                f"{body}{more}")


def _from_http_client(resp, method, target):
    return Response(resp.status, resp.reason, list(resp.getheaders()), resp.read(), method,
                    target)


# ---------------------------------------------------------------------------------------------
# The server process


class Server:
    """One `ingestd serve` process (restartable on the same data dir). Not thread-safe except
    for the request helpers, which may be called from many threads."""

    def __init__(self, name="ingestd", data_dir=None, extra_args=(), env=None):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix=f"ingestd-it-{name}-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.extra_args = list(extra_args)
        self.env = env or {}
        self.proc = None
        self.port = None
        self.admin_port = None
        self.log_paths = []
        self._log_file = None

    # -- lifecycle --

    def command(self, port, admin_port):
        return [binary_path(), "serve", "--listen", f"{HOST}:{port}", "--admin-listen",
                f"{HOST}:{admin_port}", "--data", self.data_dir, *self.extra_args]

    def start(self, timeout=START_TIMEOUT_S):
        """Starts the server and waits (bounded) until GET /healthz answers 200."""
        assert self.proc is None, "already running"
        last_error = ""
        for attempt in range(4):
            port, admin_port = free_port(), free_port()
            if port == admin_port:
                continue
            log_path = os.path.join(self.tmp, f"stderr-{len(self.log_paths)}.log")
            self.log_paths.append(log_path)
            self._log_file = open(log_path, "wb")
            self.proc = subprocess.Popen(
                self.command(port, admin_port), stdin=subprocess.DEVNULL,
                stdout=self._log_file, stderr=subprocess.STDOUT, env=child_env(self.env),
                start_new_session=True)
            self.port, self.admin_port = port, admin_port
            outcome = self._wait_healthy(timeout)
            if outcome == "ok":
                return self
            code = self.proc.poll()
            log = self.log_text()
            self._reap()
            if outcome == "exited" and "in use" in log.lower() and attempt < 3:
                last_error = log
                continue  # another process took the port between our probe and its bind
            if outcome == "exited":
                raise HarnessError(
                    f"`ingestd serve` exited with code {code} before answering /healthz.\n"
                    f"command: {' '.join(self.command(port, admin_port))}\n"
                    f"--- its stderr ---\n{log[-4000:]}")
            raise HarnessError(
                f"`ingestd serve` did not answer GET /healthz with 200 within {timeout}s "
                f"(killed).\n--- its stderr ---\n{log[-4000:]}")
        raise HarnessError(f"no free port after retries; last stderr:\n{last_error[-2000:]}")

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return "exited"
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=1.0)
                try:
                    conn.request("GET", "/healthz")
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status == 200 and self.proc.poll() is None:
                        return "ok"
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        if self.proc.poll() is not None:
            return "exited"
        self.proc.kill()
        self.proc.wait()
        return "timeout"

    def _reap(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
        self.proc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, expect_code=0, timeout=STOP_TIMEOUT_S):
        """SIGTERM, wait (bounded), check the exit code; returns it."""
        assert self.proc is not None, "not running"
        proc = self.proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._reap()
            raise HarnessError(f"ingestd did not exit within {timeout}s of SIGTERM (killed)\n"
                               f"--- its stderr ---\n{self.log_tail()}")
        self._reap()
        if expect_code is not None and code != expect_code:
            raise HarnessError(f"ingestd exited with {code} after SIGTERM, expected "
                               f"{expect_code}\n--- its stderr ---\n{self.log_tail()}")
        return code

    def kill9(self):
        """SIGKILL: a crash. The data dir is kept for a restart."""
        assert self.proc is not None, "not running"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._reap()

    def close(self):
        """Stops (kill if needed) and removes the temp dir unless INGESTD_KEEP_TEMP=1."""
        if self.proc is not None:
            try:
                if self.proc.poll() is None:
                    self.proc.send_signal(signal.SIGTERM)
                    self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self._reap()
        if os.environ.get("INGESTD_KEEP_TEMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- logs --

    def log_text(self, index=-1):
        if not self.log_paths:
            return ""
        if self._log_file:
            self._log_file.flush()
        try:
            with open(self.log_paths[index], "rb") as f:
                return f.read().decode("utf-8", errors="backslashreplace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def save_logs(self, dest_dir):
        os.makedirs(dest_dir, exist_ok=True)
        for i, path in enumerate(self.log_paths):
            if os.path.exists(path):
                shutil.copy(path, os.path.join(dest_dir, f"{self.name}-stderr-{i}.log"))

    # -- requests --

    @property
    def base_url(self):
        return f"http://{HOST}:{self.port}"

    def request(self, method, target, body=None, headers=None, timeout=10.0, port=None):
        """One request on a fresh connection; returns a Response (body fully read)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn = http.client.HTTPConnection(HOST, port or self.port, timeout=timeout)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            return _from_http_client(conn.getresponse(), method, target)
        finally:
            conn.close()

    def get(self, target, **kw):
        return self.request("GET", target, **kw)

    def client(self, timeout=10.0):
        return Client(self.port, timeout)

    def list_page(self, target="/", **kw):
        resp = self.request("GET", target, **kw)
        if resp.status != 200 or resp.content_type != "application/json":
            raise AssertionError(f"list page {target} failed: {resp.describe()}")
        items = resp.json()
        if not isinstance(items, list):
            raise AssertionError(f"list page is not a JSON array: {resp.describe()}")
        return items, resp

    def list_all(self, limit=1000, max_pages=10000):
        """Every item, walking the Link rel="next" chain."""
        items, target = [], f"/?limit={limit}"
        for _ in range(max_pages):
            page, resp = self.list_page(target)
            items.extend(page)
            link = resp.next_link()
            if link is None:
                return items
            target = relative_target(self.base_url + target, link)
        raise AssertionError(f"list walk did not end after {max_pages} pages")

    def ingest(self, user_name, email, pincode, method="GET", via="query", timeout=10.0):
        target, body, headers = ingest_request(user_name, email, pincode, via)
        return self.request(method, target, body=body, headers=headers, timeout=timeout)


def relative_target(base_url, link):
    """The path+query to request for `link` (resolved against `base_url`); same server only."""
    url = urllib.parse.urlsplit(urllib.parse.urljoin(base_url, link))
    base = urllib.parse.urlsplit(base_url)
    if url.netloc and url.netloc != base.netloc:
        raise AssertionError(f"link {link!r} points to another server ({url.netloc})")
    return urllib.parse.urlunsplit(("", "", url.path or "/", url.query, ""))


def encode_fields(fields):
    """A query string / form body; fields is a dict or a list of pairs; %20 for spaces."""
    pairs = fields.items() if isinstance(fields, dict) else fields
    return "&".join(
        f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe='')}" for k, v in pairs)


def ingest_request(user_name, email, pincode, via="query"):
    """(target, body, headers) for an ingest with the fields sent `via` query, json or form.
    A field whose value is None is left out."""
    fields = {k: v for k, v in
              (("user_name", user_name), ("email", email), ("pincode", pincode))
              if v is not None}
    if via == "query":
        return "/?" + encode_fields(fields), None, {}
    if via == "json":
        return "/", json.dumps(fields).encode(), {"Content-Type": "application/json"}
    if via == "form":
        return "/", encode_fields(fields).encode(), {
            "Content-Type": "application/x-www-form-urlencoded"}
    raise ValueError(via)


class Client:
    """One keep-alive HTTP/1.1 connection (http.client reconnects only after the server said
    Connection: close). Errors propagate: a load test decides what a failure means."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(self, method, target, body=None, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.conn.request(method, target, body=body, headers=headers or {})
        return _from_http_client(self.conn.getresponse(), method, target)

    def ingest(self, user_name, email, pincode, method="GET", via="query"):
        target, body, headers = ingest_request(user_name, email, pincode, via)
        return self.request(method, target, body, headers)

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# Raw sockets, for requests http.client will not send


@dataclasses.dataclass
class RawResult:
    responses: list  # [Response] fully parsed, in order
    data: bytes  # everything received
    closed: bool  # the server closed the connection (EOF) before our deadline
    reset: bool  # the connection was reset (ECONNRESET) by the server
    send_error: str  # why sending stopped early, if it did ("" when all was sent)

    @property
    def status(self):
        return self.responses[0].status if self.responses else None

    def describe(self):
        head = self.data[:400].decode("latin-1")
        return (f"{len(self.responses)} response(s) {[r.status for r in self.responses]}, "
                f"closed={self.closed}, reset={self.reset}, send_error={self.send_error!r}, "
                f"received {len(self.data)} bytes: {head!r}")


def parse_responses(data):
    """Complete HTTP/1.1 responses at the start of `data` (Content-Length or chunked bodies;
    a body delimited by close only when the data ends)."""
    out, pos = [], 0
    while True:
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            return out
        head = data[pos:end].decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/\d\.\d (\d{3})(?: (.*))?$", head[0])
        if not m:
            raise AssertionError(f"not an HTTP status line: {head[0]!r}")
        headers = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        resp = Response(int(m.group(1)), m.group(2) or "", headers, b"")
        pos = end + 4
        te = (resp.header("Transfer-Encoding") or "").lower()
        cl = resp.header("Content-Length")
        if resp.status in (204, 304) or 100 <= resp.status < 200:
            pass
        elif "chunked" in te:
            body = b""
            while True:
                line_end = data.find(b"\r\n", pos)
                if line_end < 0:
                    return out
                size = int(data[pos:line_end].split(b";")[0], 16)
                if len(data) < line_end + 2 + size + 2:
                    return out
                body += data[line_end + 2:line_end + 2 + size]
                pos = line_end + 2 + size + 2
                if size == 0:
                    break
            resp.body = body
        elif cl is not None:
            n = int(cl)
            if len(data) < pos + n:
                return out
            resp.body = data[pos:pos + n]
            pos += n
        else:
            resp.body = data[pos:]
            pos = len(data)
        out.append(resp)


def raw_exchange(port, payload, timeout=5.0, half_close=False, responses=None, chunks=None,
                 chunk_delay=0.0):
    """Sends `payload` (bytes, or `chunks` one by one with `chunk_delay` between) on a new
    connection while a reader thread collects the answer, then returns a RawResult.

    Reading stops at EOF/reset, at `timeout` seconds, or, when `responses` is a number, as
    soon as that many complete responses have arrived (without waiting for a close).
    `half_close` shuts our sending side down after the payload (the server sees EOF)."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    received = bytearray()
    state = {"closed": False, "reset": False}
    deadline = time.monotonic() + timeout
    done = threading.Event()

    def reader():
        # select() rather than a socket timeout: the timeout is shared with the sender's
        # sendall(), which must be allowed the whole `timeout`.
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([sock], [], [], min(0.1, max(
                    0.0, deadline - time.monotonic())))
                if not ready:
                    if done.is_set():
                        return
                    continue
                data = sock.recv(65536)
                if not data:
                    state["closed"] = True
                    return
                received.extend(data)
                if responses is not None:
                    try:
                        if len(parse_responses(bytes(received))) >= responses:
                            return
                    except (AssertionError, ValueError):
                        pass
        except OSError:  # ECONNRESET, mostly
            state["reset"] = True

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    send_error = ""
    try:
        for i, chunk in enumerate(chunks if chunks is not None else [payload]):
            if i and chunk_delay:
                time.sleep(chunk_delay)
            if not thread.is_alive():
                send_error = "server answered/closed before all was sent"
                break
            sock.sendall(chunk)
        if half_close and not send_error:
            sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        send_error = f"{type(e).__name__}: {e}"
    thread.join(max(0.0, deadline - time.monotonic()) + 0.5)
    done.set()
    thread.join(1.0)
    sock.close()
    data = bytes(received)
    return RawResult(parse_responses(data), data, state["closed"], state["reset"], send_error)


def raw_request_bytes(method, target, headers=(), body=b"", host=True, version="HTTP/1.1"):
    """A request as bytes; headers is a list of (name, value); Content-Length is NOT added."""
    lines = [f"{method} {target} {version}"]
    if host:
        lines.append(f"Host: {HOST}")
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ---------------------------------------------------------------------------------------------
# Test data and assertions


_counter = iter(range(1, 1 << 62))
_counter_lock = threading.Lock()


def unique_email(tag="u"):
    """A valid, never-repeated email: letters first, then letters/digits, @x.com."""
    assert tag.isalpha(), tag
    with _counter_lock:
        n = next(_counter)
    return f"{tag}{uuid.uuid4().hex[:10]}n{n}@it{os.getpid()}.com"


def parse_time(text):
    """An RFC 3339 UTC time as a Decimal of seconds since the epoch; AssertionError if not."""
    m = _RFC3339_UTC.fullmatch(text or "")
    if not m:
        raise AssertionError(f"not an RFC 3339 UTC time: {text!r}")
    whole = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return decimal.Decimal(int(whole.timestamp())) + decimal.Decimal("0" + (m.group(2) or ""))


class AssertionsMixin:
    """Contract-level assertions on responses (for unittest.TestCase subclasses)."""

    def assertStatus(self, resp, status):
        if isinstance(status, int):
            status = (status,)
        self.assertIn(resp.status, status, resp.describe())

    def assertErrorJson(self, resp, status):
        """`status` and a body {"error": str, "message": str, ...} served as JSON."""
        self.assertStatus(resp, status)
        self.assertEqual(resp.content_type, "application/json", resp.describe())
        body = resp.json()
        self.assertIsInstance(body, dict, resp.describe())
        self.assertIsInstance(body.get("error"), str, resp.describe())
        self.assertTrue(body["error"], resp.describe())
        self.assertIsInstance(body.get("message"), str, resp.describe())
        self.assertTrue(body["message"], resp.describe())
        return body

    def assertValidationFailed(self, resp, fields):
        """400 validation_failed naming exactly `fields`, each with a non-empty reason."""
        body = self.assertErrorJson(resp, 400)
        self.assertEqual(body["error"], "validation_failed", resp.describe())
        self.assertIsInstance(body.get("fields"), dict, resp.describe())
        self.assertEqual(set(body["fields"]), set(fields), resp.describe())
        for name, reason in body["fields"].items():
            self.assertIsInstance(reason, str, resp.describe())
            self.assertTrue(reason.strip(), f"empty reason for {name}: {resp.describe()}")
        return body

    def assertItem(self, item, user_name, email, pincode, context=""):
        self.assertIsInstance(item, dict, context)
        self.assertEqual(set(item), ITEM_KEYS, f"item keys: {item} {context}")
        self.assertEqual(item["id"], email, context)
        self.assertEqual(item["email"], email, context)
        self.assertEqual(item["user_name"], user_name, context)
        self.assertEqual(item["pincode"], pincode, context)
        created, updated = parse_time(item["created_at"]), parse_time(item["updated_at"])
        self.assertLessEqual(created, updated, f"created_at after updated_at: {item}")
        return item

    def assertStoredItem(self, resp, status, user_name, email, pincode):
        """An ingest answered `status` (201/200) with the stored item as JSON."""
        self.assertStatus(resp, status)
        self.assertEqual(resp.content_type, "application/json", resp.describe())
        return self.assertItem(resp.json(), user_name, email, pincode, resp.describe())


class ServerTestCase(AssertionsMixin, unittest.TestCase):
    """One server per class (`self.server`), plus `new_server()` for servers of a test's own.
    When a test fails, the tail of each server's stderr is printed and the logs are copied to
    $INGESTD_TEST_OUTPUT/integration/<test id>/."""

    server_args = ()
    start_class_server = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = None
        if cls.start_class_server:
            cls.server = Server(name=cls.__name__, extra_args=cls.server_args)
            cls.addClassCleanup(cls.server.close)
            cls.server.start()

    def setUp(self):
        super().setUp()
        self._own_servers = []

    def new_server(self, **kw):
        server = Server(name=f"{self._testMethodName}-{len(self._own_servers)}", **kw)
        self._own_servers.append(server)
        self.addCleanup(server.close)
        return server

    def _callCleanup(self, function, /, *args, **kwargs):  # noqa: N802 (unittest's name)
        # Before a server's temp dir goes away, save its logs if the test failed.
        if getattr(function, "__name__", "") == "close" and isinstance(
                getattr(function, "__self__", None), Server) and self._test_failed():
            self._report_logs(function.__self__)
        return super()._callCleanup(function, *args, **kwargs)

    def tearDown(self):
        if self._test_failed() and self.server is not None:
            self._report_logs(self.server)
        super().tearDown()

    def _test_failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        if not getattr(outcome, "success", True):
            return True
        result = getattr(outcome, "result", None)
        errors = getattr(result, "errors", []) + getattr(result, "failures", [])
        return any(test is self for test, _ in errors)

    def _report_logs(self, server):
        tail = server.log_tail(60)
        sys.stderr.write(f"\n---- {server.name}: last lines of ingestd stderr "
                         f"({server.log_paths[-1] if server.log_paths else 'none'}) ----\n"
                         f"{tail}\n---- end of ingestd stderr ----\n")
        out = os.environ.get("INGESTD_TEST_OUTPUT")
        if out:
            dest = os.path.join(out, "integration", self.id())
            try:
                server.save_logs(dest)
                sys.stderr.write(f"(logs saved in {dest})\n")
            except OSError as e:
                sys.stderr.write(f"(could not save logs in {dest}: {e})\n")


def run_serve_expecting_failure(args, timeout=10.0, env=None):
    """Runs `ingestd serve ARGS` that must refuse to start; returns (exit code, stderr).
    If it is still running after `timeout` it is killed and an AssertionError says so."""
    proc = subprocess.Popen([binary_path(), "serve", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=child_env(env), start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(
            f"`ingestd serve {' '.join(args)}` was still running after {timeout}s; it should "
            f"have refused to start.\nstderr: {err.decode(errors='replace')[-2000:]}")
    return proc.returncode, err.decode("utf-8", errors="replace") + out.decode(
        "utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------
# The admin listener (approvals, Step Functions API, webhook) — issue 6. Added helpers only.

ADMIN_TOKEN = "it-admin-token-6f1c0b9e"
ADMIN_ACCESS_KEY_ID = "AKIDINGESTDTESTKEY01"
ADMIN_SECRET_ACCESS_KEY = "it/secret+AccessKey0123456789abcdefghijk"
WEBHOOK_SECRET = "it-webhook-secret-7d2a"
SFN_CONTENT_TYPE = "application/x-amz-json-1.0"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"


def admin_server_args(token=ADMIN_TOKEN, access_key_id=ADMIN_ACCESS_KEY_ID,
                      secret_access_key=ADMIN_SECRET_ACCESS_KEY, webhook=None,
                      webhook_secret=None, approval_timeout=None, region=None, account=None):
    """`ingestd serve` flags that turn the admin listener on (None leaves a flag out)."""
    args = []
    for flag, value in (("--admin-token", token), ("--admin-access-key-id", access_key_id),
                        ("--admin-secret-access-key", secret_access_key),
                        ("--approval-webhook", webhook),
                        ("--approval-webhook-secret", webhook_secret),
                        ("--approval-timeout", approval_timeout), ("--region", region),
                        ("--account", account)):
        if value is not None:
            args += [flag, value]
    return args


def bearer(token=ADMIN_TOKEN):
    return {"Authorization": f"Bearer {token}"}


def basic(password=ADMIN_TOKEN, user="admin"):
    raw = f"{user}:{password}".encode("utf-8")
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def race(n, call, timeout=40):
    """Runs `call(i)` for i in 0..n-1 on n threads released together by a barrier; returns the
    n results in order (an exception raised by a call is its result)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait(10)
            results[i] = call(i)
        except Exception as e:  # noqa: BLE001 (returned to the caller)
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results


def statuses_of(results):
    """The HTTP status of each Response in `results`, or the repr of anything else."""
    return [r.status if isinstance(r, Response) else repr(r) for r in results]


def wait_until(predicate, timeout, interval=0.05, message="condition"):
    """Polls `predicate()` until it returns a truthy value (returned) or `timeout` seconds
    pass (AssertionError naming `message` and the last value)."""
    deadline = time.monotonic() + timeout
    value = None
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message}: not reached within {timeout}s (last: {value!r})")
        time.sleep(interval)


def sigv4_headers(method, host, path, body, access_key_id, secret_access_key, region,
                  service="states", extra_headers=None, amz_date=None, content_sha256=True):
    """The headers of a request signed with AWS Signature Version 4 (as the AWS SDKs sign):
    every header given (plus host and x-amz-date) is signed. `path` must be already
    URI-encoded and carry no query string."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    amz_date = amz_date or datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-date": amz_date}
    for name, value in (extra_headers or {}).items():
        headers[name.lower()] = value
    if content_sha256:
        headers["x-amz-content-sha256"] = payload_hash
    names = sorted(headers)
    canonical_headers = "".join(f"{n}:{' '.join(str(headers[n]).split())}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        [method, path, "", canonical_headers, signed_headers, payload_hash])
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope,
        hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = ("AWS4" + secret_access_key).encode("utf-8")
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    out = {n: headers[n] for n in names if n != "host"}
    out["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, "
                            f"SignedHeaders={signed_headers}, Signature={signature}")
    return out


def aws_error_type(resp):
    """The `__type` of a Step Functions error reply without any `namespace#` prefix."""
    body = resp.json()
    if not isinstance(body, dict) or not isinstance(body.get("__type"), str):
        raise AssertionError(f"not an AWS JSON error: {resp.describe()}")
    return body["__type"].rsplit("#", 1)[-1]


def time_value(value):
    """An admin timestamp (RFC 3339 UTC text, or epoch seconds) as a Decimal epoch."""
    if isinstance(value, bool) or value is None:
        raise AssertionError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return decimal.Decimal(str(value))
    return parse_time(value)


class AdminClient:
    """Requests to a Server's admin listener, with the admin credentials (the port is read at
    every call, so it follows restarts). Thread-safe."""

    def __init__(self, server, token=ADMIN_TOKEN, access_key_id=ADMIN_ACCESS_KEY_ID,
                 secret_access_key=ADMIN_SECRET_ACCESS_KEY, region=DEFAULT_REGION):
        self.server = server
        self.token = token
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.region = region

    def request(self, method, target, body=None, headers=None, auth="bearer", timeout=10.0):
        """`auth`: "bearer" (the token), "basic" (the token as password), or None."""
        all_headers = {}
        if auth == "bearer":
            all_headers.update(bearer(self.token))
        elif auth == "basic":
            all_headers.update(basic(self.token))
        elif auth is not None:
            raise ValueError(auth)
        all_headers.update(headers or {})
        return self.server.request(method, target, body=body, headers=all_headers,
                                   timeout=timeout, port=self.server.admin_port)

    def approvals(self, max_pages=100):
        """Every pending approval (GET /approvals, following any Link rel="next")."""
        out, target = [], "/approvals"
        for _ in range(max_pages):
            resp = self.request("GET", target)
            if resp.status != 200 or resp.content_type != "application/json":
                raise AssertionError(f"GET {target} failed: {resp.describe()}")
            body = resp.json()
            if not isinstance(body, list):
                raise AssertionError(f"GET {target} is not a JSON array: {resp.describe()}")
            out.extend(body)
            link = resp.next_link()
            if link is None:
                return out
            target = relative_target(f"http://{HOST}:{self.server.admin_port}{target}", link)
        raise AssertionError(f"GET /approvals: more than {max_pages} pages")

    def approval_for(self, email):
        """The pending approval whose input item has this email, or None."""
        for entry in self.approvals():
            item = (entry.get("input") or {}).get("item") or {}
            if item.get("email") == email:
                return entry
        return None

    def decide(self, approval_id, decision, **kw):
        """POST /approvals/{id}/{decision} with the bearer token."""
        return self.request("POST", f"/approvals/{urllib.parse.quote(approval_id, safe='')}/"
                            f"{decision}", **kw)

    def sfn(self, op, payload, auth="bearer", path="/sfn", secret_access_key=None,
            timeout=10.0):
        """A Step Functions JSON API call; auth "bearer" or "sigv4"."""
        body = json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": SFN_CONTENT_TYPE, "X-Amz-Target": f"AWSStepFunctions.{op}"}
        if auth == "sigv4":
            headers = sigv4_headers(
                "POST", f"{HOST}:{self.server.admin_port}", path, body, self.access_key_id,
                secret_access_key or self.secret_access_key, self.region,
                extra_headers=headers)
            auth = None
        return self.request("POST", path, body=body, headers=headers, auth=auth,
                            timeout=timeout)

    def describe(self, execution_arn, **kw):
        resp = self.sfn("DescribeExecution", {"executionArn": execution_arn}, **kw)
        if resp.status != 200:
            raise AssertionError(f"DescribeExecution failed: {resp.describe()}")
        return resp.json()


@dataclasses.dataclass
class WebhookDelivery:
    path: str
    headers: dict  # lower-case name -> value
    body: bytes
    answered: int

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class WebhookReceiver:
    """An HTTP server on 127.0.0.1:0 in a thread that records every POST it receives.
    `respond(delivery_body_json, attempt)` -> status decides the answer (default 204);
    `attempt` counts this receiver's earlier deliveries with the same JSON "id"."""

    def __init__(self, respond=None):
        import http.server  # only the webhook tests need it

        self.deliveries = []
        self.lock = threading.Lock()
        self.respond = respond or (lambda body, attempt: 204)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    parsed = json.loads(body.decode("utf-8"))
                except ValueError:
                    parsed = None
                key = parsed.get("id") if isinstance(parsed, dict) else None
                with receiver.lock:
                    attempt = sum(1 for d in receiver.deliveries if key is not None and
                                  _delivery_id(d) == key)
                status = receiver.respond(parsed, attempt)
                with receiver.lock:
                    receiver.deliveries.append(WebhookDelivery(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                        status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def for_id(self, approval_id):
        with self.lock:
            return [d for d in self.deliveries if _delivery_id(d) == approval_id]

    def matching(self, predicate):
        with self.lock:
            out = []
            for d in self.deliveries:
                try:
                    if predicate(d.json()):
                        out.append(d)
                except (ValueError, AttributeError, TypeError):
                    pass
            return out


def _delivery_id(delivery):
    try:
        body = delivery.json()
    except ValueError:
        return None
    return body.get("id") if isinstance(body, dict) else None
