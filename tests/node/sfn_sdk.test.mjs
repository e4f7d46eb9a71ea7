// The official AWS SDK (@aws-sdk/client-sfn) against the admin listener of the real
// `ingestd serve` (issue 6): callback tokens of pending approvals (SendTaskHeartbeat /
// SendTaskSuccess / SendTaskFailure), DescribeExecution, the typed errors (TaskDoesNotExist,
// TaskTimedOut, InvalidToken), a refused bad signature, StartExecution, StartSyncExecution and
// ListExecutions. Requests are signed with SigV4 by the admin keys.
//
//   INGESTD_BIN=build/release/ingestd node --test tests/node/sfn_sdk.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DescribeExecutionCommand, InvalidToken, ListExecutionsCommand, SendTaskFailureCommand,
  SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand,
  StartSyncExecutionCommand, TaskDoesNotExist, TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { ADMIN, startIngestd, uniqueEmail, waitFor } from './ingestd.mjs';

const REGION = 'ap-south-1';
const ACCOUNT = '210987654321';
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:ingestd`;
const EXECUTION_PREFIX = `arn:aws:states:${REGION}:${ACCOUNT}:execution:ingestd:`;
const BAD_PIN = '12';

let srv;
let sfn;

function client(secretAccessKey = ADMIN.secretAccessKey) {
  return new SFNClient({
    endpoint: `http://127.0.0.1:${srv.adminPort}/sfn/`,
    region: REGION,
    credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey },
    disableHostPrefix: true,
    maxAttempts: 1,
  });
}

before(async () => {
  srv = await startIngestd({ args: ['--region', REGION, '--account', ACCOUNT] });
  sfn = client();
});

after(async () => {
  sfn?.destroy();
  await srv?.close();
});

// An ingest with one invalid field (202) and its pending approval.
async function pending(userName) {
  const email = uniqueEmail('sdk');
  const r = await srv.ingest({ user_name: userName, email, pincode: BAD_PIN });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.equal(r.body.status, 'pending_approval');
  assert.ok(r.body.execution.startsWith(EXECUTION_PREFIX), r.body.execution);
  const approval = await srv.approvalFor(email);
  assert.ok(approval, `no pending approval for ${email}`);
  assert.equal(approval.execution, r.body.execution);
  return { email, arn: r.body.execution, token: approval.task_token, approval };
}

async function describe(arn) {
  return sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
}

async function finished(arn) {
  return waitFor(async () => {
    const d = await describe(arn);
    return d.status !== 'RUNNING' && d;
  }, { what: `execution ${arn} ends` });
}

test('SendTaskHeartbeat then SendTaskSuccess: SUCCEEDED and stored', async () => {
  const p = await pending('Sdk Success');
  const running = await describe(p.arn);
  assert.equal(running.status, 'RUNNING');
  assert.equal(running.executionArn, p.arn);
  assert.equal(running.stateMachineArn, STATE_MACHINE);
  assert.ok(running.startDate instanceof Date && !Number.isNaN(running.startDate.getTime()));
  assert.equal(JSON.parse(running.input).email, p.email);
  assert.deepEqual(await srv.listed(p.email), []);

  const beat = await sfn.send(new SendTaskHeartbeatCommand({ taskToken: p.token }));
  assert.equal(beat.$metadata.httpStatusCode, 200);
  const ok = await sfn.send(new SendTaskSuccessCommand({ taskToken: p.token, output: '{}' }));
  assert.equal(ok.$metadata.httpStatusCode, 200);

  const done = await finished(p.arn);
  assert.equal(done.status, 'SUCCEEDED');
  assert.ok(done.stopDate instanceof Date && done.stopDate >= done.startDate);
  const items = await srv.listed(p.email);
  assert.equal(items.length, 1);
  assert.deepEqual([items[0].user_name, items[0].pincode], ['Sdk Success', BAD_PIN]);
  assert.equal(await srv.approvalFor(p.email), undefined, 'no longer pending');
});

test('SendTaskFailure: FAILED and not stored', async () => {
  const p = await pending('Sdk Failure');
  await sfn.send(new SendTaskFailureCommand({ taskToken: p.token, error: 'Nope', cause: 'no' }));
  const done = await finished(p.arn);
  assert.equal(done.status, 'FAILED');
  assert.deepEqual(await srv.listed(p.email), []);
  assert.equal(await srv.approvalFor(p.email), undefined);
});

test('typed errors: TaskTimedOut for a decided token, InvalidToken for garbage', async () => {
  const p = await pending('Sdk Twice');
  await sfn.send(new SendTaskSuccessCommand({ taskToken: p.token, output: '{}' }));
  for (const command of [new SendTaskSuccessCommand({ taskToken: p.token, output: '{}' }),
                         new SendTaskFailureCommand({ taskToken: p.token, error: 'Late' }),
                         new SendTaskHeartbeatCommand({ taskToken: p.token })]) {
    await assert.rejects(sfn.send(command), (err) => {
      assert.ok(err instanceof TaskTimedOut, `${err.name}: ${err.message}`);
      assert.equal(err.name, 'TaskTimedOut');
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
  }
  // SendTaskSuccess answers once the decision is taken; the execution then runs on.
  assert.equal((await finished(p.arn)).status, 'SUCCEEDED');
  assert.equal((await srv.listed(p.email)).length, 1, 'stored exactly once');

  for (const token of ['garbage', 'x'.repeat(2000), '{}', '%%%']) {
    await assert.rejects(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
                         (err) => {
                           assert.ok(err instanceof InvalidToken, `${err.name}: ${err.message}`);
                           assert.equal(err.name, 'InvalidToken');
                           return true;
                         });
  }
});

test('typed error: TaskDoesNotExist for a well-formed token this ingestd never issued', async () => {
  // A token minted by another ingestd (its own store): well-formed, unknown here.
  const other = await startIngestd({ args: ['--region', REGION, '--account', ACCOUNT] });
  let token;
  let email;
  try {
    email = uniqueEmail('foreign');
    const r = await other.ingest({ user_name: 'Foreign', email, pincode: BAD_PIN });
    assert.equal(r.status, 202);
    token = (await other.approvalFor(email)).task_token;
  } finally {
    await other.close();
  }
  await assert.rejects(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
                       (err) => {
                         assert.ok(err instanceof TaskDoesNotExist, `${err.name}: ${err.message}`);
                         assert.equal(err.name, 'TaskDoesNotExist');
                         return true;
                       });
  assert.deepEqual(await srv.listed(email), []);
});

test('a client with a wrong secret is refused and decides nothing', async () => {
  const p = await pending('Sdk Wrong Secret');
  const wrong = client(`${ADMIN.secretAccessKey}x`);
  try {
    for (const command of [new SendTaskSuccessCommand({ taskToken: p.token, output: '{}' }),
                           new DescribeExecutionCommand({ executionArn: p.arn })]) {
      await assert.rejects(wrong.send(command), (err) => {
        assert.ok(['InvalidSignatureException', 'UnrecognizedClientException'].includes(err.name),
                  `${err.name}: ${err.message}`);
        assert.equal(err.$metadata.httpStatusCode, 403);
        return true;
      });
    }
  } finally {
    wrong.destroy();
  }
  assert.ok(await srv.approvalFor(p.email), 'still pending');
  assert.equal((await describe(p.arn)).status, 'RUNNING');
});

test('StartExecution and DescribeExecution', async () => {
  const email = uniqueEmail('start');
  const name = `sdk-start-${process.pid}-${Date.now()}`;
  const started = await sfn.send(new StartExecutionCommand({
    stateMachineArn: STATE_MACHINE, name,
    input: JSON.stringify({ user_name: 'Sdk Start', email, pincode: '560001' }),
  }));
  assert.equal(started.executionArn, EXECUTION_PREFIX + name);
  assert.ok(started.startDate instanceof Date);
  const done = await finished(started.executionArn);
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal(done.name, name);
  assert.equal((await srv.listed(email)).length, 1);
});

test('StartSyncExecution with a valid record: SUCCEEDED and stored', async () => {
  const email = uniqueEmail('sync');
  const result = await sfn.send(new StartSyncExecutionCommand({
    stateMachineArn: STATE_MACHINE,
    input: JSON.stringify({ user_name: 'Sdk Sync', email, pincode: '1234' }),
  }));
  assert.equal(result.status, 'SUCCEEDED', JSON.stringify(result));
  assert.ok(result.executionArn.startsWith(EXECUTION_PREFIX));
  assert.ok(result.startDate instanceof Date && result.stopDate instanceof Date);
  assert.equal(typeof result.output, 'string');
  JSON.parse(result.output);
  const items = await srv.listed(email);
  assert.equal(items.length, 1);
  assert.equal(items[0].user_name, 'Sdk Sync');

  const invalid = await sfn.send(new StartSyncExecutionCommand({
    stateMachineArn: STATE_MACHINE,
    input: JSON.stringify({ user_name: 'Sdk Sync', email: 'nope', pincode: 'nope' }),
  }));
  assert.equal(invalid.status, 'FAILED', JSON.stringify(invalid));
  assert.ok(invalid.error, 'a failed sync execution names its error');
});

test('ListExecutions shows running and finished executions, with a status filter', async () => {
  const waiting = await pending('Sdk Listed');
  const email = uniqueEmail('listdone');
  const done = await sfn.send(new StartExecutionCommand({
    stateMachineArn: STATE_MACHINE,
    input: JSON.stringify({ user_name: 'Sdk Done', email, pincode: '4321' }),
  }));
  await finished(done.executionArn);

  const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE,
                                                         maxResults: 1000 }));
  const arns = all.executions.map((e) => e.executionArn);
  assert.ok(arns.includes(waiting.arn), 'the waiting execution is listed');
  assert.ok(arns.includes(done.executionArn), 'the started execution is listed');
  for (const e of all.executions) {
    assert.equal(e.stateMachineArn, STATE_MACHINE);
    assert.ok(e.startDate instanceof Date);
  }
  const running = await sfn.send(new ListExecutionsCommand({
    stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING', maxResults: 1000 }));
  const runningArns = running.executions.map((e) => e.executionArn);
  assert.ok(runningArns.includes(waiting.arn));
  assert.ok(!runningArns.includes(done.executionArn));
  assert.ok(running.executions.every((e) => e.status === 'RUNNING'));

  // Paging: maxResults 1 with nextToken walks the same executions.
  const seen = new Set();
  let nextToken;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await sfn.send(new ListExecutionsCommand({
      stateMachineArn: STATE_MACHINE, maxResults: 1, nextToken }));
    assert.ok(page.executions.length <= 1);
    for (const e of page.executions) {
      assert.ok(!seen.has(e.executionArn), `listed twice: ${e.executionArn}`);
      seen.add(e.executionArn);
    }
    nextToken = page.nextToken;
    if (!nextToken) break;
  }
  assert.ok(seen.has(waiting.arn) && seen.has(done.executionArn));
});
