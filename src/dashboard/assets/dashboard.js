// The traffic monitor: fetches /dashboard/data every couple of seconds and draws four
// Chart.js charts. window.chartReady turns true once all four have been drawn with data
// from the server (browser tests wait on it).
(function () {
  'use strict';

  const REFRESH_MS = 2000;
  const WINDOWS = [300, 900, 3600];
  const COLORS = {
    blue: '#2563eb',
    teal: '#0d9488',
    violet: '#7c3aed',
    amber: '#d97706',
    red: '#dc2626',
    green: '#16a34a',
    slate: '#64748b',
  };

  window.chartReady = false;

  let windowSeconds = 300;
  try {
    const saved = Number(window.localStorage.getItem('ingestd.window'));
    if (WINDOWS.includes(saved)) windowSeconds = saved;
  } catch (e) {
    // Storage may be unavailable (private mode); the default window is fine.
  }
  const fromUrl = Number(new URLSearchParams(window.location.search).get('window'));
  if (WINDOWS.includes(fromUrl)) windowSeconds = fromUrl;

  const two = (n) => String(n).padStart(2, '0');
  function clock(t, withSeconds) {
    const d = new Date(t * 1000);
    const hm = two(d.getHours()) + ':' + two(d.getMinutes());
    return withSeconds ? hm + ':' + two(d.getSeconds()) : hm;
  }
  function number(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    return v.toLocaleString(undefined, { maximumFractionDigits: digits });
  }
  function usd(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    if (v === 0) return '$0';
    if (Math.abs(v) >= 1) return '$' + v.toFixed(2);
    // Small amounts: three significant digits, no exponent.
    const decimals = Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(Math.abs(v)))));
    return '$' + v.toFixed(decimals);
  }
  function ms(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    if (v >= 100) return Math.round(v) + ' ms';
    if (v >= 1) return v.toFixed(1) + ' ms';
    return v.toFixed(3) + ' ms';
  }

  if (typeof Chart === 'undefined') {
    document.getElementById('status').textContent = 'Chart.js did not load';
    document.getElementById('status').classList.add('error');
    return;
  }
  Chart.defaults.font.family =
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  Chart.defaults.color = '#5b6475';
  Chart.defaults.borderColor = '#e3e7ee';

  function timeAxis() {
    return {
      type: 'linear',
      title: { display: true, text: 'time (local)' },
      ticks: {
        // Fewer labels on narrow screens; no forced labels at the ends (they would overlap).
        maxTicksLimit: window.innerWidth < 600 ? 4 : 7,
        includeBounds: false,
        maxRotation: 0,
        callback: (v) => clock(v, windowSeconds <= 300),
      },
      grid: { display: false },
    };
  }

  function lineDataset(label, color, extra) {
    return Object.assign({
      label: label,
      data: [],
      borderColor: color,
      backgroundColor: color + '33',
      borderWidth: 2,
      pointRadius: 0,
      pointHitRadius: 6,
      tension: 0.2,
      spanGaps: false,
    }, extra || {});
  }

  function makeChart(id, datasets, yAxes, yFormat) {
    const scales = { x: timeAxis() };
    for (const [key, axis] of Object.entries(yAxes)) scales[key] = axis;
    return new Chart(document.getElementById(id), {
      type: 'line',
      data: { datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'index', intersect: false },
        scales: scales,
        plugins: {
          // Legend and tooltip in dataset order, whatever the drawing `order`.
          legend: { position: 'bottom',
                    labels: { boxWidth: 12, boxHeight: 12, padding: 12,
                              sort: (a, b) => a.datasetIndex - b.datasetIndex } },
          tooltip: {
            itemSort: (a, b) => a.datasetIndex - b.datasetIndex,
            callbacks: {
              title: (items) => (items.length ? clock(items[0].parsed.x, true) : ''),
              label: (item) => item.dataset.label + ': ' + yFormat(item.parsed.y, item.dataset),
            },
          },
        },
      },
    });
  }

  const charts = {
    invocations: makeChart('chart-invocations',
      [lineDataset('invocations / s', COLORS.blue, { fill: 'origin' })],
      { y: { beginAtZero: true, title: { display: true, text: 'requests per second' },
             ticks: { precision: 2 } } },
      (v) => number(v, 2) + ' /s'),
    durations: makeChart('chart-durations',
      // Lower `order` is drawn on top: max (dashed) over p99 over average over min.
      [lineDataset('min', COLORS.green, { order: 3 }),
       lineDataset('average', COLORS.blue, { order: 2 }),
       lineDataset('p99', COLORS.amber, { order: 1 }),
       lineDataset('max', COLORS.red, { order: 0, borderDash: [5, 4], borderWidth: 1.5 })],
      { y: { beginAtZero: true, title: { display: true, text: 'milliseconds' } } },
      (v) => ms(v)),
    errors: makeChart('chart-errors',
      [lineDataset('5xx errors', COLORS.red, { yAxisID: 'y' }),
       lineDataset('4xx client errors', COLORS.amber, { yAxisID: 'y' }),
       lineDataset('success rate %', COLORS.green, { yAxisID: 'rate', borderWidth: 2.5 })],
      { y: { beginAtZero: true, position: 'left', title: { display: true, text: 'error count' },
             ticks: { precision: 0 } },
        rate: { min: 0, max: 100, position: 'right', title: { display: true, text: 'success rate (%)' },
                grid: { drawOnChartArea: false }, ticks: { callback: (v) => v + '%' } } },
      (v, ds) => (ds.yAxisID === 'rate' ? number(v, 2) + '%' : number(v, 0))),
    cost: makeChart('chart-cost',
      [lineDataset('self-hosted (this process)', COLORS.teal, { spanGaps: true }),
       lineDataset('serverless equivalent', COLORS.violet, { spanGaps: true })],
      { y: { beginAtZero: true, title: { display: true, text: 'USD (cumulative)' },
             ticks: { callback: (v) => usd(v) } } },
      (v) => usd(v)),
  };

  function points(t, values) {
    const out = new Array(t.length);
    for (let i = 0; i < t.length; i++) out[i] = { x: t[i], y: values[i] };
    return out;
  }

  function render(d) {
    const t = d.t;
    const xmin = t.length ? t[0] : 0;
    const xmax = t.length ? t[t.length - 1] : 1;
    for (const chart of Object.values(charts)) {
      chart.options.scales.x.min = xmin;
      chart.options.scales.x.max = xmax;
    }
    charts.invocations.data.datasets[0].data = points(t, d.invocations_per_second);
    const dm = d.duration_ms;
    charts.durations.data.datasets[0].data = points(t, dm.min);
    charts.durations.data.datasets[1].data = points(t, dm.avg);
    charts.durations.data.datasets[2].data = points(t, dm.p99);
    charts.durations.data.datasets[3].data = points(t, dm.max);
    charts.errors.data.datasets[0].data = points(t, d.errors_5xx);
    charts.errors.data.datasets[1].data = points(t, d.errors_4xx);
    charts.errors.data.datasets[2].data = points(t, d.success_rate);
    charts.cost.data.datasets[0].data = points(t, d.cost_usd.self_hosted);
    charts.cost.data.datasets[1].data = points(t, d.cost_usd.serverless);
    for (const chart of Object.values(charts)) chart.update('none');

    const tot = d.totals;
    const avgRate = tot.requests / d.window;
    document.getElementById('stat-invocations').innerHTML =
      '<b>' + number(tot.requests, 0) + '</b> requests in the window · <b>' +
      number(avgRate, 2) + '</b> /s on average';
    document.getElementById('stat-durations').innerHTML =
      'min <b>' + ms(tot.duration_ms.min) + '</b> · avg <b>' + ms(tot.duration_ms.avg) +
      '</b> · p99 <b>' + ms(tot.duration_ms.p99) + '</b> · max <b>' + ms(tot.duration_ms.max) + '</b>';
    document.getElementById('stat-errors').innerHTML =
      '<b>' + number(tot.errors_5xx, 0) + '</b> errors (5xx) · <b>' + number(tot.errors_4xx, 0) +
      '</b> client errors (4xx) · success <b>' +
      (tot.success_rate === null ? '–' : number(tot.success_rate, 2) + '%') + '</b>';
    const self = tot.cost_usd.self_hosted;
    const serverless = tot.cost_usd.serverless;
    let ratio = '';
    if (self > 0 && serverless > 0) {
      const r = serverless / self;
      const times = (x) => number(x, x >= 100 ? 0 : 1) + '×';
      ratio = ' · serverless would cost <b>' + (r >= 1 ? times(r) : times(1 / r) + ' less') + '</b>';
    }
    document.getElementById('stat-cost').innerHTML =
      'self-hosted <b>' + usd(self) + '</b> · serverless <b>' + usd(serverless) + '</b>' + ratio;
  }

  const status = document.getElementById('status');
  let timer = null;
  let inFlight = null;

  async function refresh() {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    const requested = windowSeconds;
    try {
      const response = await fetch('/dashboard/data?window=' + requested,
                                   { cache: 'no-store', signal: controller.signal });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const data = await response.json();
      if (requested !== windowSeconds) return;  // the user switched windows meanwhile
      render(data);
      status.classList.remove('error');
      status.textContent = 'live · last ' + label(requested) + ' · updated ' + clock(data.now, true);
      window.chartReady = true;
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.classList.add('error');
      status.textContent = 'cannot reach ingestd (' + e.message + ') · retrying';
    } finally {
      if (inFlight === controller) inFlight = null;
    }
  }

  function label(seconds) {
    return seconds >= 3600 ? seconds / 3600 + ' h' : seconds / 60 + ' min';
  }

  function select(seconds) {
    windowSeconds = seconds;
    try { window.localStorage.setItem('ingestd.window', String(seconds)); } catch (e) { /* ignore */ }
    for (const b of document.querySelectorAll('.windows button')) {
      b.setAttribute('aria-pressed', Number(b.dataset.window) === seconds ? 'true' : 'false');
    }
    refresh();
  }

  for (const b of document.querySelectorAll('.windows button')) {
    b.addEventListener('click', () => select(Number(b.dataset.window)));
  }
  select(windowSeconds);
  timer = setInterval(refresh, REFRESH_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      clearInterval(timer);
      timer = null;
    } else if (timer === null) {
      refresh();
      timer = setInterval(refresh, REFRESH_MS);
    }
  });
})();
