// StartExecution (the AWS SDK, @aws-sdk/client-sfn) of a record with exactly one invalid field
// runs the same state machine as an ingest (issue 6): the execution waits for an admin's
// approval (RUNNING, listed in GET /approvals), and SendTaskSuccess on its token stores it.
//
//   INGESTD_BIN=build/release/ingestd node --test tests/node/sfn_start_pending.mjs  (rename to .test.mjs once it passes)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ADMIN, startIngestd, uniqueEmail, waitFor } from './ingestd.mjs';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:ingestd`;
const EXECUTION_PREFIX = `arn:aws:states:${REGION}:${ACCOUNT}:execution:ingestd:`;

let srv;
let sfn;

before(async () => {
  srv = await startIngestd();
  sfn = new SFNClient({
    endpoint: `http://127.0.0.1:${srv.adminPort}/sfn/`,
    region: REGION,
    credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: ADMIN.secretAccessKey },
    disableHostPrefix: true,
    maxAttempts: 1,
  });
});

after(async () => {
  sfn?.destroy();
  await srv?.close();
});

test('StartExecution of a record with one invalid field waits for an approval', async () => {
  const email = uniqueEmail('startwait');
  const started = await sfn.send(new StartExecutionCommand({
    stateMachineArn: STATE_MACHINE,
    input: JSON.stringify({ user_name: 'Sdk Wait', email, pincode: '12' }),
  }));
  assert.ok(started.executionArn.startsWith(EXECUTION_PREFIX));
  const described = await sfn.send(new DescribeExecutionCommand({
    executionArn: started.executionArn }));
  assert.equal(described.status, 'RUNNING', JSON.stringify(described));
  const approval = await waitFor(() => srv.approvalFor(email), { what: 'listed for approval' });
  assert.equal(approval.execution, started.executionArn);
  await sfn.send(new SendTaskSuccessCommand({ taskToken: approval.task_token, output: '{}' }));
  const done = await waitFor(async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    return d.status !== 'RUNNING' && d;
  }, { what: 'the execution ends' });
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal((await srv.listed(email)).length, 1);
});
