// The approvals page of the admin listener as an operator sees it (issue 6): headless Debian
// Chromium (playwright-core) logs in with HTTP Basic (the admin token as password), sees the
// pending data points, clicks Approve, and the item leaves the page and appears in the public
// list; a hostile user_name stays text; the page logs no console error. Screenshots go to
// $INGESTD_TEST_OUTPUT.
//
//   INGESTD_BIN=build/release/ingestd node --test tests/node/admin_page.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ADMIN, TEST_OUTPUT as OUTPUT, launchChromium, startIngestd, uniqueEmail, waitFor }
  from './ingestd.mjs';

const BAD_PIN = '12';

let srv;
let browser;

before(async () => {
  srv = await startIngestd();
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await srv?.close();
});

// Console errors, uncaught exceptions, failed requests and HTTP errors of the page. A 401 is
// the Basic-auth challenge the browser answers with the context's credentials.
function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (!/ERR_ABORTED/.test(req.failure()?.errorText ?? '')) {
      errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && res.status() !== 401) errors.push(`HTTP ${res.status()} ${res.url()}`);
  });
  return errors;
}

async function pending(userName) {
  const email = uniqueEmail('page');
  const r = await srv.ingest({ user_name: userName, email, pincode: BAD_PIN });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const approval = await srv.approvalFor(email);
  assert.ok(approval, `no pending approval for ${email}`);
  return { email, approval };
}

// The innermost element that shows `email` and holds a button named `name`.
function row(page, email, name) {
  return page.locator('tr, li, article, section, div, form, fieldset')
    .filter({ hasText: email })
    .filter({ has: page.getByRole('button', { name }) })
    .last();
}

test('the page lists pending items, Approve stores one, hostile text stays text', { timeout: 90_000 }, async () => {
  const hostile = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  const paula = await pending('Page Paula');
  const evil = await pending(hostile);
  const rita = await pending('Page Rita');

  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    httpCredentials: { username: 'operator', password: ADMIN.token },
  });
  const page = await context.newPage();
  const errors = watchErrors(page);
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  try {
    // A browser's Accept header selects the HTML page.
    const response = await page.goto(`${srv.adminUrl}/approvals`, { waitUntil: 'load' });
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
    const body = () => page.locator('body').innerText();
    for (const p of [paula, evil, rita]) assert.ok((await body()).includes(p.email), p.email);
    assert.ok((await body()).includes('Page Paula'));
    assert.ok((await body()).includes(hostile), 'the hostile user_name is shown as text');
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'no injected code ran');
    assert.equal(await page.locator('img[src="x"], script:has-text("__xss")').count(), 0);
    await page.screenshot({ path: path.join(OUTPUT, 'admin-approvals.png'), fullPage: true });

    // Approve Paula by clicking.
    const approve = row(page, paula.email, /approve/i).getByRole('button', { name: /approve/i });
    assert.equal(await approve.count(), 1, 'one Approve button for the item');
    await approve.click();
    await page.waitForLoadState('load');
    await waitFor(async () => !(await body()).includes(paula.email),
                  { what: 'the approved item leaves the page' });
    assert.ok((await body()).includes(rita.email), 'the others stay');
    const stored = await waitFor(async () => (await srv.listed(paula.email))[0],
                                 { what: 'the approved item in the public list' });
    assert.deepEqual([stored.user_name, stored.pincode], ['Page Paula', BAD_PIN]);
    assert.equal(await srv.approvalFor(paula.email), undefined);

    // Reject Rita by clicking: gone from the page, never stored.
    const reject = row(page, rita.email, /reject/i).getByRole('button', { name: /reject/i });
    assert.equal(await reject.count(), 1, 'one Reject button for the item');
    await reject.click();
    await page.waitForLoadState('load');
    await waitFor(async () => !(await body()).includes(rita.email),
                  { what: 'the rejected item leaves the page' });
    assert.deepEqual(await srv.listed(rita.email), []);
    assert.ok((await body()).includes(evil.email), 'the hostile one is still pending');

    // After a reload the page agrees with the server.
    await page.reload({ waitUntil: 'load' });
    assert.ok(!(await body()).includes(paula.email));
    assert.ok((await body()).includes(evil.email));
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(dialogs, 0);
    await page.screenshot({ path: path.join(OUTPUT, 'admin-approvals-after.png'), fullPage: true });
    assert.deepEqual(errors, [], `the page reported errors:\n${errors.join('\n')}`);
  } finally {
    await context.close();
  }
});

test('without credentials, or with a wrong password, the browser gets 401 and no data', async () => {
  const p = await pending('Page Hidden');
  for (const httpCredentials of [undefined, { username: 'operator', password: 'wrong', send: 'always' }]) {
    // Chromium's page navigation aborts on a refused challenge (ERR_INVALID_AUTH_CREDENTIALS);
    // the context's request API, same credentials and cookies, shows the answer itself.
    const context = await browser.newContext(httpCredentials ? { httpCredentials } : {});
    try {
      const response = await context.request.get(`${srv.adminUrl}/approvals?format=html`,
                                                 { headers: { Accept: 'text/html' } });
      assert.equal(response.status(), 401);
      assert.match(response.headers()['www-authenticate'] ?? '', /^basic/i);
      assert.ok(!(await response.text()).includes(p.email));
    } finally {
      await context.close();
    }
  }
});
