// The external referee for ASL definitions: asl-validator (npm) must accept every definition
// the repository ships or uses in tests, and both it and `ingestd workflow validate` must
// reject the invalid ones — except where asl-validator is known to be wrong (listed below,
// each checked so that a fixed asl-validator makes this test say so).
// Also checks the `ingestd workflow` CLI contract (exit codes, stdout/stderr).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator');

const sourceDir = process.env.INGESTD_SOURCE_DIR ?? path.resolve(import.meta.dirname, '../..');
const bin = process.env.INGESTD_BIN;
const casesDir = path.join(sourceDir, 'tests/workflow/cases');
const workflowsDir = path.join(sourceDir, 'workflows');

// Invalid definitions that asl-validator 4.0.0 accepts, and why it is wrong to.
const ASL_VALIDATOR_ACCEPTS = {
  '104_invalid_states_all_not_last_retrier':
    'spec: "States.ALL ... MUST appear alone ... and MUST be in the last Retrier"',
  '105_invalid_states_all_not_last_catcher':
    'spec: States.ALL must be in the last Catcher (RECIPES.md lists this)',
  '108_invalid_choice_with_end':
    'spec: Choice states cannot be End states (RECIPES.md lists this)',
  '109_invalid_unknown_resource':
    'ingestd-specific: the ARN is well-formed but no such resource is registered',
  '110_invalid_validate_bad_regex':
    'ingestd-specific: the Parameters of ingestd:validate hold an invalid RE2 pattern',
  '121_invalid_retry_backoff_below_one':
    'spec: BackoffRate "MUST be greater than or equal to 1.0"',
  '126_invalid_jitter_strategy': 'AWS: JitterStrategy is "FULL" or "NONE"',
  '128_invalid_duplicate_state_name':
    'spec: state names are unique; JSON.parse keeps only the last "A", so it never sees the first',
};

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function cases() {
  return fs
    .readdirSync(casesDir)
    .sort()
    .map((name) => ({
      name,
      file: path.join(casesDir, name, 'definition.asl.json'),
      expected: readJson(path.join(casesDir, name, 'expected.json')),
    }));
}

function shipped() {
  return fs
    .readdirSync(workflowsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(workflowsDir, f));
}

function ingestd(...args) {
  return spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
}

test('asl-validator accepts every shipped definition', () => {
  const files = shipped();
  assert.ok(files.length > 0, 'workflows/ holds the default definition');
  for (const file of files) {
    const { isValid, errorsText } = aslValidator(readJson(file));
    assert.ok(isValid, `${file}: ${isValid || errorsText(' | ')}`);
  }
});

test('asl-validator accepts every valid definition the golden cases use', () => {
  const valid = cases().filter((c) => !('invalid' in c.expected));
  assert.ok(valid.length >= 50);
  for (const c of valid) {
    const { isValid, errorsText } = aslValidator(readJson(c.file));
    assert.ok(isValid, `${c.name}: ${isValid || errorsText(' | ')}`);
  }
});

test('asl-validator rejects the invalid definitions, except its known mistakes', () => {
  const invalid = cases().filter((c) => 'invalid' in c.expected);
  assert.ok(invalid.length >= 20);
  for (const c of invalid) {
    const { isValid } = aslValidator(readJson(c.file));
    if (c.name in ASL_VALIDATOR_ACCEPTS) {
      assert.equal(isValid, true,
        `${c.name}: asl-validator now rejects it; remove it from ASL_VALIDATOR_ACCEPTS`);
    } else {
      assert.equal(isValid, false, `${c.name}: asl-validator accepted an invalid definition`);
    }
  }
});

test('ingestd workflow validate accepts the shipped definitions', { skip: !bin && 'INGESTD_BIN not set' }, () => {
  for (const file of shipped()) {
    const r = ingestd('workflow', 'validate', file);
    assert.equal(r.status, 0, r.stderr);
  }
});

test('ingestd workflow validate rejects every invalid definition with exit 2 and the reason', { skip: !bin && 'INGESTD_BIN not set' }, () => {
  for (const c of cases().filter((k) => 'invalid' in k.expected)) {
    const r = ingestd('workflow', 'validate', c.file);
    assert.equal(r.status, 2, `${c.name}: exit ${r.status}`);
    assert.ok(r.stderr.includes(c.expected.invalid), `${c.name}: stderr was ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
});

test('ingestd workflow run prints the output, or {error, cause} with exit 1', { skip: !bin && 'INGESTD_BIN not set' }, () => {
  const def = path.join(workflowsDir, 'ingest.asl.json');
  const ok = ingestd('workflow', 'run', def, '--input',
    '{"user_name":"Ann","email":"ann@example.com","pincode":"12345"}');
  assert.equal(ok.status, 0, ok.stderr);
  const out = JSON.parse(ok.stdout);
  assert.equal(out.outcome, 'created');
  assert.equal(out.item.id, 'ann@example.com');

  const bad = ingestd('workflow', 'run', def, '--input',
    '{"user_name":"Ann","email":"nope","pincode":"12"}');
  assert.equal(bad.status, 1, bad.stderr);
  const failure = JSON.parse(bad.stdout);
  assert.equal(failure.error, 'ValidationFailed');
  assert.deepEqual(Object.keys(JSON.parse(failure.cause).fields), ['email', 'pincode']);

  const outDir = process.env.INGESTD_TEST_OUTPUT ?? '/tmp';
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(outDir, 'wf-'));
  const inputFile = path.join(tmp, 'input.json');
  fs.writeFileSync(inputFile, '{"user_name":null,"email":"a@b.com","pincode":"1234"}');
  const fromFile = ingestd('workflow', 'run', def, '--input', `@${inputFile}`);
  assert.equal(fromFile.status, 1);
  assert.deepEqual(JSON.parse(JSON.parse(fromFile.stdout).cause).fields,
    { user_name: 'is required' });
  fs.rmSync(tmp, { recursive: true, force: true });

  const invalid = ingestd('workflow', 'run',
    path.join(casesDir, '101_invalid_next_target_missing/definition.asl.json'));
  assert.equal(invalid.status, 2);
  assert.match(invalid.stderr, /no state named "Nowhere"/);
});
