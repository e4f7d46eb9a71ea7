// The traffic monitor as a person sees it (issue #4): headless Debian Chromium opens
// /dashboard of the real `ingestd serve` while traffic runs, waits until all four charts show
// data, checks their titles and axes, switches the window, checks the phone layout, and saves
// screenshots to $INGESTD_TEST_OUTPUT. The page must log no console error.
//
//   INGESTD_BIN=build/release/ingestd node --test tests/node/dashboard.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { TEST_OUTPUT as OUTPUT, launchChromium, sleep, startIngestd } from './ingestd.mjs';

const CHART_IDS = ['chart-invocations', 'chart-durations', 'chart-errors', 'chart-cost'];
const TITLES = ['Invocations', 'Durations', 'Errors and success rate', 'Estimated charges'];

let srv;          // the running ingestd (ingestd.mjs)
let baseUrl;
let browser;
let trafficStop = false;
let traffic;      // the promise of the traffic loop
const trafficCounts = { ok: 0, rejected: 0, failed: 0 };

// Valid ingests (201/200), some invalid ones (400) and list reads, ~40 requests a second.
async function runTraffic() {
  let i = 0;
  while (!trafficStop) {
    const n = i++;
    const valid = n % 5 !== 0;
    const email = valid ? `dash${n}x${process.pid}@example.com` : `not-an-email-${n}`;
    const target = n % 7 === 0 ? '/?limit=5'
      : `/?user_name=Dash%20User&email=${encodeURIComponent(email)}&pincode=560001`;
    try {
      const r = await fetch(baseUrl + target, { method: n % 2 ? 'POST' : 'GET' });
      await r.arrayBuffer();
      if (r.status < 300) trafficCounts.ok++;
      else if (r.status < 500) trafficCounts.rejected++;
      else trafficCounts.failed++;
    } catch {
      trafficCounts.failed++;
    }
    await sleep(25);
  }
}

before(async () => {
  srv = await startIngestd();
  baseUrl = srv.baseUrl;
  traffic = runTraffic();
  browser = await launchChromium();
});

after(async () => {
  trafficStop = true;
  if (traffic) await traffic;
  if (browser) await browser.close();
  await srv?.close();
});

// Collects what the page reports as errors: console errors, uncaught exceptions, failed
// requests and HTTP errors of the page's own resources.
function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => {
    // Aborted refreshes (window switches) are deliberate.
    if (!/ERR_ABORTED/.test(req.failure()?.errorText ?? '')) {
      errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
    }
  });
  page.on('response', (res) => { if (res.status() >= 400) errors.push(`HTTP ${res.status()} ${res.url()}`); });
  return errors;
}

// True when every chart has at least one point with a positive value.
function allChartsHaveData(ids) {
  return ids.every((id) => {
    const chart = window.Chart && window.Chart.getChart(document.getElementById(id));
    return chart && chart.data.datasets.some((ds) => ds.data.some((p) => p && p.y !== null && p.y > 0));
  });
}

test('the dashboard shows four live charts with titles and units', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${baseUrl}/dashboard`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.chartReady === true, null, { timeout: 15_000 });
  await page.waitForFunction(allChartsHaveData, CHART_IDS, { timeout: 30_000, polling: 250 });

  assert.equal(await page.title(), 'ingestd · traffic monitor');
  const headings = await page.$$eval('.card h2', (hs) => hs.map((h) => h.textContent.trim()));
  assert.deepEqual(headings, TITLES);

  const charts = await page.evaluate((ids) => ids.map((id) => {
    const c = window.Chart.getChart(document.getElementById(id));
    return {
      id,
      type: c.config.type,
      animation: c.options.animation,
      datasets: c.data.datasets.map((d) => d.label),
      yTitle: c.options.scales.y.title.text,
      xTitle: c.options.scales.x.title.text,
      points: c.data.datasets[0].data.length,
    };
  }), CHART_IDS);
  const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
  for (const c of charts) {
    assert.equal(c.animation, false, `${c.id} animates`);
    assert.equal(c.points, 300, `${c.id}: one point per second of the 5 min window`);
    assert.ok(c.yTitle && c.xTitle, `${c.id} has axis titles`);
  }
  assert.equal(byId['chart-invocations'].yTitle, 'requests per second');
  assert.deepEqual(byId['chart-durations'].datasets, ['min', 'average', 'p99', 'max']);
  // The legend reads in the same order (drawing order differs: max is drawn on top).
  const legend = await page.evaluate(() => window.Chart.getChart(document.getElementById('chart-durations'))
    .legend.legendItems.map((item) => item.text));
  assert.deepEqual(legend, ['min', 'average', 'p99', 'max']);
  assert.equal(byId['chart-durations'].yTitle, 'milliseconds');
  assert.deepEqual(byId['chart-errors'].datasets, ['5xx errors', '4xx client errors', 'success rate %']);
  assert.deepEqual(byId['chart-cost'].datasets, ['self-hosted (this process)', 'serverless equivalent']);
  assert.match(byId['chart-cost'].yTitle, /USD/);

  // The figures under the charts are filled in.
  const stats = await page.$$eval('.stat', (ps) => ps.map((p) => p.textContent));
  assert.match(stats[0], /requests in the window/);
  assert.match(stats[1], /p99 \d/);
  assert.match(stats[2], /success \d/);
  assert.match(stats[3], /serverless \$/);
  assert.doesNotMatch(await page.textContent('#status'), /cannot reach/);

  await page.screenshot({ path: path.join(OUTPUT, 'dashboard-laptop.png'), fullPage: true });

  // Switching to 15 minutes refetches: 300 points of 3 s each.
  await page.click('button[data-window="900"]');
  await page.waitForFunction(() => {
    const c = window.Chart.getChart(document.getElementById('chart-invocations'));
    const d = c.data.datasets[0].data;
    return d.length === 300 && d[d.length - 1].x - d[0].x === 897;
  }, null, { timeout: 10_000 });
  assert.equal(await page.getAttribute('button[data-window="900"]', 'aria-pressed'), 'true');
  assert.equal(await page.getAttribute('button[data-window="300"]', 'aria-pressed'), 'false');
  await page.click('button[data-window="3600"]');
  await page.waitForFunction(() => {
    const d = window.Chart.getChart(document.getElementById('chart-durations')).data.datasets[0].data;
    return d.length === 300 && d[d.length - 1].x - d[0].x === 3588;
  }, null, { timeout: 10_000 });

  assert.deepEqual(errors, [], `the page reported errors:\n${errors.join('\n')}`);
  assert.ok(trafficCounts.ok > 0, 'traffic ran');
  await context.close();
});

test('the dashboard fits a phone screen', { timeout: 60_000 }, async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${baseUrl}/dashboard`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.chartReady === true, null, { timeout: 15_000 });
  await page.waitForFunction(allChartsHaveData, CHART_IDS, { timeout: 30_000, polling: 250 });

  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    cards: [...document.querySelectorAll('.card')].map((c) => c.getBoundingClientRect().toJSON()),
  }));
  assert.ok(layout.scrollWidth <= layout.innerWidth, `no sideways scrolling (${layout.scrollWidth} > ${layout.innerWidth})`);
  assert.equal(layout.cards.length, 4);
  for (let i = 0; i < 4; i++) {
    assert.ok(layout.cards[i].right <= layout.innerWidth + 0.5, `card ${i} fits the width`);
    if (i > 0) assert.ok(layout.cards[i].top >= layout.cards[i - 1].bottom, 'cards are stacked in one column');
  }
  await page.screenshot({ path: path.join(OUTPUT, 'dashboard-phone.png'), fullPage: true });
  assert.deepEqual(errors, [], `the page reported errors:\n${errors.join('\n')}`);
  await context.close();
});

test('favicon and data endpoint answer without errors', async () => {
  const icon = await fetch(`${baseUrl}/favicon.ico`);
  assert.ok([200, 204].includes(icon.status));
  const bad = await fetch(`${baseUrl}/dashboard/data?window=7200`);
  assert.equal(bad.status, 400);
  assert.ok((await bad.json()).error);
});

// The seed's other future plan: the list as an HTML page of cards, as a browser shows it.
test('the HTML list shows cards, hostile values as text, and a working next link', async () => {
  const hostile = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
  const tag = `cards${process.pid}`;
  const emails = [`${tag}a@example.com`, `${tag}b@example.com`, `${tag}c@example.com`];
  for (const [i, email] of emails.entries()) {
    const r = await fetch(`${baseUrl}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_name: i === 0 ? hostile : `Card ${i}`, email, pincode: '123456' }),
    });
    assert.ok(r.status === 201 || r.status === 200, `ingest answered ${r.status}`);
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  try {
    // A browser's Accept header alone selects HTML; two cards per page.
    await page.goto(`${baseUrl}/?limit=2`);
    assert.match(await page.title(), /items/i);
    assert.equal(await page.locator('article.card').count(), 2);

    // Walk the pages by clicking "Next page" until the hostile card shows up.
    let found = false;
    for (let hops = 0; hops < 200 && !found; hops++) {
      const names = await page.locator('article.card h2').allTextContents();
      found = names.includes(hostile);
      if (found) break;
      const next = page.locator('a[rel="next"]');
      if ((await next.count()) === 0) break;
      await Promise.all([page.waitForLoadState('load'), next.click()]);
      assert.ok((await page.locator('article.card').count()) >= 1, 'every page shows cards');
    }
    assert.ok(found, 'the card with the hostile user_name is listed, as text');
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'no injected code ran');
    assert.equal(await page.locator('article.card img, article.card script').count(), 0);
    assert.equal(dialogs, 0);
    await page.screenshot({ path: path.join(OUTPUT, 'list-cards.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
