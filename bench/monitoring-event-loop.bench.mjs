#!/usr/bin/env node
// Does a monitoring report hold the requests of the process that computes it? On the demo's
// workspace, the model's report is computed in alternated rounds with the text domain classifier
// on the calling thread (`offThread: false`, as before) and on its worker thread (the default),
// while predictions are sent to the same server in-process (fastify.inject, one after another).
// Per round: the report's wall and process CPU time (both threads), the longest gap between two
// turns of the event loop (a setImmediate spinner), and the predictions' latency while the report ran.
//
//   npx tsc -p tsconfig.build.json && node bench/monitoring-event-loop.bench.mjs [rows=6000] [rounds=3]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { machine } from './lib.mjs';

const DIST = new URL('../dist', import.meta.url).pathname;
const { runDemo } = await import(path.join(DIST, 'demo/index.js'));
const { openWorkspace } = await import(path.join(DIST, 'workspace/index.js'));
const { buildServer } = await import(path.join(DIST, 'server/index.js'));
const { localPrincipal } = await import(path.join(DIST, 'auth/index.js'));

const ROWS = Number(process.argv[2] ?? 6000);
const ROUNDS = Number(process.argv[3] ?? 3);
const MODEL = 'support-router';
const pct = (xs, q) => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]);
const r1 = (x) => (x === null ? null : +x.toFixed(1));

const parent = mkdtempSync(path.join(tmpdir(), 'mloop-bench-loop-'));
try {
  const demo = await runDemo({ dir: path.join(parent, 'ws'), count: ROWS, env: {} });
  const ws = await openWorkspace({ workspace: demo.workspace, env: {} });
  const admin = localPrincipal();
  await ws.auth.createUser(admin, 'bench', ['admin']);
  const token = (await ws.auth.createToken(admin, { user: 'bench' })).token;
  // Predictions are not logged: the log is what the report reads, so both ways see the same one.
  const limits = ws.config.serving;
  const app = await buildServer(ws, {
    serving: { pollIntervalMs: limits.pollIntervalMs, maxRowsPerRequest: limits.maxRowsPerRequest, maxInflight: limits.maxInflight, requestTimeoutMs: limits.requestTimeoutMs, logPredictions: false },
  });
  const predict = () =>
    app.inject({
      method: 'POST',
      url: `/v1/models/${MODEL}:predict`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ instances: [{ text: 'my card was charged twice for one order', region: 'emea', channel: 'email' }] }),
    });
  const probe = await predict();
  if (probe.statusCode !== 200) throw new Error(`predict: ${probe.statusCode} ${probe.body.slice(0, 300)}`);

  async function round(offThread) {
    // The loop's turns: the longest time between two.
    let last = performance.now();
    let maxGap = 0;
    let spinning = true;
    const spin = () => {
      const t = performance.now();
      maxGap = Math.max(maxGap, t - last);
      last = t;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    // Predictions one after another while the report runs.
    const latencies = [];
    let done = false;
    const client = (async () => {
      while (!done) {
        const t = performance.now();
        const r = await predict();
        if (r.statusCode !== 200) throw new Error(`predict: ${r.statusCode}`);
        latencies.push(performance.now() - t);
      }
    })();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await ws.monitoring.report({ model: MODEL, window: '7d', offThread });
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    done = true;
    await client;
    spinning = false;
    return {
      report,
      row: {
        classifier: offThread ? 'worker thread' : 'calling thread',
        windows: report.windows.length,
        wall_ms: Math.round(wall),
        cpu_ms: Math.round((c.user + c.system) / 1000),
        max_loop_gap_ms: r1(maxGap),
        predictions: latencies.length,
        predict_p50_ms: r1(pct(latencies, 0.5)),
        predict_p99_ms: r1(pct(latencies, 0.99)),
        predict_max_ms: r1(pct(latencies, 1)),
        load_1m: +loadavg()[0].toFixed(1),
      },
    };
  }

  await round(true); // warm-up: JIT, the worker's start, the dataset reads' caches
  const rows = [];
  let reference = null;
  for (let i = 0; i < ROUNDS; i++) {
    for (const offThread of i % 2 === 0 ? [false, true] : [true, false]) {
      const { report, row } = await round(offThread);
      const numbers = JSON.stringify({ ...report, generated_at: '' });
      if (reference !== null && numbers !== reference) throw new Error('the two ways gave different reports');
      reference = numbers;
      rows.push({ round: i + 1, ...row });
      console.error(JSON.stringify(rows.at(-1)));
    }
  }
  await app.close();
  await ws.close();

  const m = machine();
  const lines = [
    `### ${m.date}, commit ${m.commit}, ${m.cpus}, Node ${m.node}`,
    '',
    `\`node bench/monitoring-event-loop.bench.mjs ${ROWS} ${ROUNDS}\`: the demo at ${ROWS} rows; the report of ${MODEL} (7d windows) with predictions sent in-process meanwhile, one after another. The reports of both ways are identical.`,
    '',
    '| round | domain classifier | windows | report wall ms | report CPU ms (both threads) | longest loop gap ms | predictions | p50 ms | p99 ms | max ms | load |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.round} | ${r.classifier} | ${r.windows} | ${r.wall_ms} | ${r.cpu_ms} | ${r.max_loop_gap_ms} | ${r.predictions} | ${r.predict_p50_ms} | ${r.predict_p99_ms} | ${r.predict_max_ms} | ${r.load_1m} |`),
  ];
  const out = new URL('./.out/', import.meta.url).pathname;
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'monitoring-event-loop.md'), `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
} finally {
  rmSync(parent, { recursive: true, force: true });
}
