#!/usr/bin/env python3
"""Generates the SigV4 test vectors of tests/admin/sigv4_test.cc with botocore.

Not run by CTest: the vectors are pasted into sigv4_test.cc as constants, so the unit tests
check the C++ verifier against what a real AWS client signs, without needing Python.

    python3 tests/admin/make_sigv4_vectors.py > /tmp/vectors.inc
    python3 tests/admin/make_sigv4_vectors.py --js   # one request from the JS SDK v3
    python3 tests/admin/make_sigv4_vectors.py --cli  # one request from /usr/bin/aws

Needs botocore (Debian: python3-botocore, or the one bundled with awscli). Every request is
signed by botocore.auth.SigV4Auth with fixed credentials at a fixed time (botocore's clock is
patched), and printed as a C++ aggregate: method, target, headers in order, body, botocore's
canonical request, and the Authorization header botocore produced.

With --js it instead captures one real SendTaskSuccess call of @aws-sdk/client-sfn (from
tests/node/node_modules; `npm ci` there first) to endpoint http://127.0.0.1:PORT/sfn/ with the
same credentials, as the SDK sends it on the wire (its own clock: the test sets its clock to
the captured X-Amz-Date), printed as JSON. With --cli the same for Debian's AWS CLI
(`aws stepfunctions send-task-success --endpoint-url http://127.0.0.1:PORT/sfn`).
"""
import datetime
import http.server
import json
import threading
import os
import subprocess
import sys
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# The AWS SigV4 test suite's example credentials and time (get-vanilla).
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.timezone.utc)


def sign(name, method, url, headers, body, service="states", region="us-east-1"):
    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    signer = botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, region)
    # Keep the canonical request botocore signed (computing it again after signing would
    # include the Authorization header).
    signed = []
    original = signer.canonical_request

    def record(req):
        signed.append(original(req))
        return signed[-1]

    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=NOW), \
            mock.patch.object(signer, "canonical_request", side_effect=record):
        signer.add_auth(request)
    canonical = signed[0]
    target = url.split("://", 1)[1]
    target = target[target.index("/"):] if "/" in target else "/"
    return {
        "name": name,
        "service": service,
        "method": method,
        "target": target,
        "headers": [(k, v) for k, v in request.headers.items()],
        "body": body.decode() if isinstance(body, bytes) else (body or ""),
        "canonical": canonical,
    }


def cxx(s):
    return json.dumps(s)  # a JSON string literal is a valid C++ literal for this ASCII data


CAPTURE_JS = r"""
import http from 'node:http';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
const captured = await new Promise((resolve) => {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end('{}');
      server.close();
      resolve({ method: req.method, target: req.url, headers: req.rawHeaders, body });
    });
  });
  server.listen(0, '127.0.0.1', async () => {
    const client = new SFNClient({
      endpoint: `http://127.0.0.1:${server.address().port}/sfn/`,
      region: 'us-west-2',
      credentials: { accessKeyId: 'AKIDEXAMPLE',
                     secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      maxAttempts: 1,
    });
    await client.send(new SendTaskSuccessCommand({ taskToken: 'tok-js',
                                                   output: '{"approved":true}' }));
  });
});
console.log(JSON.stringify(captured));
"""


def capture_js():
    node_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "node")
    out = subprocess.run(["node", "--input-type=module", "-e", CAPTURE_JS], cwd=node_dir,
                         check=True, capture_output=True, text=True).stdout
    print(json.dumps(json.loads(out), indent=2))


def capture_cli():
    captured = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            captured.append({"method": self.command, "target": self.path,
                             "headers": [v for kv in self.headers.items() for v in kv],
                             "body": body})
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.handle_request, daemon=True).start()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION="us-east-1")
    subprocess.run(["/usr/bin/aws", "stepfunctions", "send-task-success", "--endpoint-url",
                    f"http://127.0.0.1:{server.server_address[1]}/sfn", "--task-token",
                    "tok-cli", "--task-output", '{"approved":true}'],
                   env=env, check=True, capture_output=True)
    print(json.dumps(captured[0], indent=2))


def main():
    if "--js" in sys.argv[1:]:
        capture_js()
        return
    if "--cli" in sys.argv[1:]:
        capture_cli()
        return
    vectors = [
        # The AWS test suite's get-vanilla: GET / signed for service "service".
        sign("get_vanilla", "GET", "https://example.amazonaws.com/",
             {"Host": "example.amazonaws.com"}, b"", service="service"),
        # What the AWS CLI and SDKs send to the admin listener (Step Functions JSON protocol).
        sign("sfn_send_task_success", "POST", "http://127.0.0.1:8081/",
             {"Host": "127.0.0.1:8081", "X-Amz-Target": "AWSStepFunctions.SendTaskSuccess",
              "Content-Type": "application/x-amz-json-1.0"},
             b'{"taskToken":"tok-1","output":"{\\"ok\\":true}"}', region="eu-west-1"),
        # An endpoint with a path (the JS SDK keeps "/sfn/"), and x-amz-content-sha256.
        sign("sfn_path_and_content_sha", "POST", "http://localhost:8081/sfn/",
             {"Host": "localhost:8081", "X-Amz-Target": "AWSStepFunctions.DescribeExecution",
              "Content-Type": "application/x-amz-json-1.0",
              "X-Amz-Content-SHA256": botocore.auth.sha256(b'{"executionArn":"arn:x"}')
              .hexdigest()},
             b'{"executionArn":"arn:x"}'),
        # Unsorted, repeated and percent-encoded query parameters; a value with inner spaces.
        sign("query_and_whitespace", "GET",
             "http://127.0.0.1:8081/approvals?b=2&a=1&a=0&q=hello%20world&empty=",
             {"Host": "127.0.0.1:8081", "X-Spaced": "  a    b  c  "}, b""),
        # A Date header instead of X-Amz-Date (botocore then writes Date in RFC 1123 form).
        sign("date_header", "POST", "http://127.0.0.1:8081/approvals/42/approve",
             {"Host": "127.0.0.1:8081", "Date": "x"}, b""),
        # A path with an encoded character: encoded again in the canonical URI.
        sign("encoded_path", "GET", "http://127.0.0.1:8081/approvals/a%20b",
             {"Host": "127.0.0.1:8081"}, b""),
    ]
    for v in vectors:
        print("SignedVector{")
        print(f"    .name = {cxx(v['name'])},")
        print(f"    .service = {cxx(v['service'])},")
        print(f"    .method = {cxx(v['method'])},")
        print(f"    .target = {cxx(v['target'])},")
        print("    .headers = {")
        for k, val in v["headers"]:
            print(f"        {{{cxx(k)}, {cxx(val)}}},")
        print("    },")
        print(f"    .body = {cxx(v['body'])},")
        print(f"    .canonical_request = {cxx(v['canonical'])},")
        print("},")


if __name__ == "__main__":
    main()
