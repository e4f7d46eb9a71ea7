// Starts and stops the real `ingestd serve` (INGESTD_BIN) for node tests: free ports on 127.0.0.1, a fresh data dir, the admin token and SigV4 keys, a
// bounded wait for /healthz, stop by PID (SIGTERM, SIGKILL after 20 s), kill -9 and restart on
// the same data dir. Not a test file (only *.test.mjs are registered in CTest).
//
//   import { startIngestd, ADMIN } from './ingestd.mjs';
//   const srv = await startIngestd({ args: ['--region', 'us-east-1'] });
//   const r = await srv.admin('/approvals');            // Bearer token added
//   await srv.ingest({ user_name: 'Ann', email: 'ann@example.com', pincode: '12' });  // 202
//   await srv.stop();
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const HOST = '127.0.0.1';
export const ADMIN = Object.freeze({
  token: 'node-admin-token-3b8f21',
  accessKeyId: 'AKIDINGESTDNODETEST1',
  secretAccessKey: 'node/secret+AccessKey0123456789abcdefghij',
});
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Where browser tests put screenshots (created on first use).
export const TEST_OUTPUT =
  process.env.INGESTD_TEST_OUTPUT || path.join(os.tmpdir(), 'ingestd-test-output');

// Headless Debian Chromium (CHROMIUM_BIN overrides /usr/bin/chromium) through playwright-core,
// with nothing that talks to the network on its own.
export async function launchChromium() {
  fs.mkdirSync(TEST_OUTPUT, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Polls `fn` (async) until it returns a truthy value, or throws after `timeoutMs`.
export async function waitFor(fn, { timeoutMs = 10_000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(intervalMs);
  }
}

export function uniqueEmail(tag) {
  const n = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
  return `${tag}${n.replace(/[^a-z0-9]/g, '')}x${process.pid}@example.com`;
}

class Ingestd {
  constructor(args) {
    this.args = args;
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingestd-node-'));
    this.proc = null;
    this.log = '';
  }

  async start() {
    const bin = process.env.INGESTD_BIN;
    assert.ok(bin, 'set INGESTD_BIN to the ingestd binary');
    for (let attempt = 0; attempt < 3; attempt++) {
      this.port = await freePort();
      this.adminPort = await freePort();
      if (this.port === this.adminPort) continue;
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('INGESTD_')));
      this.log = '';
      const proc = spawn(bin, ['serve', '--listen', `${HOST}:${this.port}`,
                               '--admin-listen', `${HOST}:${this.adminPort}`,
                               '--data', path.join(this.dataDir, 'data'),
                               '--admin-token', ADMIN.token,
                               '--admin-access-key-id', ADMIN.accessKeyId,
                               '--admin-secret-access-key', ADMIN.secretAccessKey,
                               ...this.args],
                         { stdio: ['ignore', 'pipe', 'pipe'], env });
      this.proc = proc;
      proc.stdout.on('data', (d) => { this.log += d; });
      proc.stderr.on('data', (d) => { this.log += d; });
      proc.exited = new Promise((resolve) => proc.once('exit', resolve));
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && proc.exitCode === null && proc.signalCode === null) {
        try {
          const r = await fetch(`${this.baseUrl}/healthz`);
          await r.arrayBuffer();
          if (r.status === 200) return this;
        } catch {
          // not listening yet
        }
        await sleep(50);
      }
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await proc.exited;
        break;
      }
      if (!/in use/i.test(this.log)) break;  // retry only a lost port race
    }
    throw new Error(`ingestd did not become healthy:\n${this.log.slice(-4000)}`);
  }

  get baseUrl() { return `http://${HOST}:${this.port}`; }
  get adminUrl() { return `http://${HOST}:${this.adminPort}`; }

  // SIGTERM by PID; SIGKILL if it is still running after 20 s. Returns the exit code.
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await proc.exited;
    clearTimeout(timer);
    return proc.exitCode;
  }

  async kill9() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await proc.exited;
  }

  async close() {
    await this.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  // A request to the admin listener with the bearer token; returns the fetch Response.
  admin(target, init = {}) {
    return fetch(this.adminUrl + target, {
      ...init, headers: { Authorization: `Bearer ${ADMIN.token}`, ...(init.headers ?? {}) },
    });
  }

  // Every pending approval (GET /approvals, following any Link rel="next").
  async approvals() {
    const out = [];
    let target = '/approvals';
    for (let pages = 0; target && pages < 100; pages++) {
      const r = await this.admin(target);
      assert.equal(r.status, 200, `GET ${target} answered ${r.status}`);
      out.push(...await r.json());
      const next = /<([^>]*)>\s*;[^,]*rel="?next"?/i.exec(r.headers.get('link') ?? '');
      target = next ? new URL(next[1], this.adminUrl + target).pathname +
        new URL(next[1], this.adminUrl + target).search : null;
    }
    return out;
  }

  async approvalFor(email) {
    return (await this.approvals()).find((a) => a?.input?.item?.email === email);
  }

  // An ingest by GET with the fields in the query; returns { status, body }.
  async ingest(fields) {
    const r = await fetch(`${this.baseUrl}/?${new URLSearchParams(fields)}`);
    const text = await r.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: r.status, body };
  }

  // Every item of the public list (walks Link rel="next").
  async listAll() {
    const items = [];
    let url = `${this.baseUrl}/?limit=1000`;
    for (let pages = 0; url && pages < 1000; pages++) {
      const r = await fetch(url);
      assert.equal(r.status, 200);
      items.push(...await r.json());
      const next = /<([^>]*)>\s*;[^,]*rel="?next"?/i.exec(r.headers.get('link') ?? '');
      url = next ? new URL(next[1], url).href : null;
    }
    return items;
  }

  async listed(email) {
    return (await this.listAll()).filter((i) => i.id === email);
  }
}

// Starts `ingestd serve` with the admin listener on, plus `args`.
export async function startIngestd({ args = [] } = {}) {
  const srv = new Ingestd(args);
  try {
    return await srv.start();
  } catch (e) {
    fs.rmSync(srv.dataDir, { recursive: true, force: true });
    throw e;
  }
}
