#!/usr/bin/env node
// The dashboard's expensive reads on the demo's workspace, in-process (fastify.inject, no network),
// each beside what it replaced, in the same run:
//   - the monitoring report: computed (refresh=true, what every first visit did) versus read from
//     the result cache (what a visit reads once the server has computed it at start);
//   - the overview: on a fresh server (every accuracy estimate computed, as every request did)
//     versus with the estimates kept;
//   - the alert list with many alerts: paged in SQL versus every alert read, sorted and cut in
//     memory (the former route), on the same rows.
// Wall and CPU time (process.cpuUsage: this process, which runs both server and client) per call.
//
//   npx tsc -p tsconfig.build.json && node bench/dashboard-reads.bench.mjs [rows=6000] [alerts=20000]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { machine } from './lib.mjs';

const DIST = new URL('../dist', import.meta.url).pathname;
const { runDemo } = await import(path.join(DIST, 'demo/index.js'));
const { openWorkspace } = await import(path.join(DIST, 'workspace/index.js'));
const { buildServer } = await import(path.join(DIST, 'server/index.js'));
const { localPrincipal } = await import(path.join(DIST, 'auth/index.js'));

const ROWS = Number(process.argv[2] ?? 6000);
const ALERTS = Number(process.argv[3] ?? 20_000);
const MODEL = 'support-router';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Runs `fn` `n` times; wall and CPU milliseconds per call (medians). */
async function measure(n, fn) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(i);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall_ms: +median(wall).toFixed(2), cpu_ms: +median(cpu).toFixed(2), n };
}

const parent = mkdtempSync(path.join(tmpdir(), 'mloop-bench-dash-'));
try {
  const started = performance.now();
  const demo = await runDemo({ dir: path.join(parent, 'ws'), count: ROWS, env: {} });
  console.error(`demo with ${ROWS} rows: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const ws = await openWorkspace({ workspace: demo.workspace, env: {} });
  const admin = localPrincipal();
  await ws.auth.createUser(admin, 'bench', ['admin']);
  const token = (await ws.auth.createToken(admin, { user: 'bench' })).token;
  const headers = { authorization: `Bearer ${token}` };
  const load = [];
  const get = async (app, url) => {
    const r = await app.inject({ url, headers });
    if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
    return r;
  };

  load.push(loadavg()[0]);
  const app = await buildServer(ws);
  const report = {
    computed: await measure(3, () => get(app, `/v1/dashboard/models/${MODEL}/monitoring?refresh=true`)),
    cached: await measure(30, () => get(app, `/v1/dashboard/models/${MODEL}/monitoring`)),
  };
  const a = (await get(app, `/v1/dashboard/models/${MODEL}/monitoring?refresh=true`)).json();
  const b = (await get(app, `/v1/dashboard/models/${MODEL}/monitoring`)).json();
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('the cached report differs from the computed one');
  await app.close();

  load.push(loadavg()[0]);
  const overview = {
    // The first request of a new server (built before the clock starts): nothing kept yet.
    fresh_server: await (async () => {
      const servers = [];
      for (let i = 0; i < 3; i++) servers.push(await buildServer(ws));
      const r = await measure(3, (i) => get(servers[i], '/v1/overview'));
      for (const x of servers) await x.close();
      return r;
    })(),
    kept: await (async () => {
      const kept = await buildServer(ws);
      await get(kept, '/v1/overview');
      const r = await measure(30, () => get(kept, '/v1/overview'));
      await kept.close();
      return r;
    })(),
  };

  load.push(loadavg()[0]);
  // Many alerts: the history of a busy workspace.
  const store = ws.monitoring.store;
  for (let i = 0; i < ALERTS; i++) {
    const day = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    await store.upsertAlert({
      id: `alt_bench_${i}`, ruleId: 'rul_bench', ruleName: `rule-${i % 17}`, model: i % 3 ? MODEL : `${MODEL}@champion`, metric: 'drift.share', dedupKey: `bench:${i}`,
      status: i % 5 ? 'resolved' : 'firing', firstWindow: day, lastWindow: day, windows: 1 + (i % 9), value: i % 11 ? (i % 97) / 97 : null, threshold: 0.5,
      message: 'bench', createdAt: day, updatedAt: day, resolvedAt: null, delivery: 'none', deliveryError: null, deliveredAt: null,
    });
  }
  const app2 = await buildServer(ws);
  const pageQ = `model=${MODEL}&sort=value&order=desc&limit=50&offset=100`;
  // The former route: every alert read, filtered, sorted and cut in memory. (It read them through
  // the service, which caps a list at 10,000 alerts, so its pages and total were wrong past that;
  // here the store is read directly, and ties compare ids by code unit, as SQL does.)
  const inMemory = async () => {
    const all = (await store.listAlerts({ limit: 1_000_000 })).filter((x) => x.model === MODEL || x.model.startsWith(`${MODEL}@`));
    all.sort((x, y) => {
      const kx = x.value ?? -Infinity;
      const ky = y.value ?? -Infinity;
      return (kx < ky ? -1 : kx > ky ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0) * -1;
    });
    return { total: all.length, rows: all.slice(100, 150).map((x) => x.id) };
  };
  const sqlPage = (await get(app2, `/v1/dashboard/alerts?${pageQ}`)).json();
  const memPage = await inMemory();
  if (sqlPage.total !== memPage.total || JSON.stringify(sqlPage.rows.map((r) => r.id)) !== JSON.stringify(memPage.rows))
    throw new Error(`the SQL page differs from the in-memory one: ${JSON.stringify({ sql: [sqlPage.total, sqlPage.rows.slice(0, 5).map((r) => r.id)], memory: [memPage.total, memPage.rows.slice(0, 5)] })}`);
  const alerts = {
    sql: await measure(20, () => get(app2, `/v1/dashboard/alerts?${pageQ}`)),
    in_memory: await measure(5, inMemory),
  };
  await app2.close();
  load.push(loadavg()[0]);
  await ws.close();

  const result = { bench: 'dashboard-reads', ...machine(), rows: ROWS, alerts_inserted: ALERTS, load_average_1m: load, report, overview, alerts };
  console.log(JSON.stringify(result, null, 2));
  const row = (name, r) => `| ${name} | ${r.wall_ms} | ${r.cpu_ms} | ${r.n} |`;
  console.log(
    [
      '',
      `### ${result.date.slice(0, 16).replace('T', ' ')}, commit ${result.commit}, ${result.cpus}, Node ${result.node}; load average ${load.map((l) => l.toFixed(1)).join(' → ')}`,
      '',
      `Demo workspace at ${ROWS} rows; ${ALERTS.toLocaleString('en-US')} alerts added for the alert list. Medians per call, in-process (no network):`,
      '',
      '| read | wall ms | CPU ms | calls |',
      '|---|---|---|---|',
      row('monitoring report, computed (every first visit before)', report.computed),
      row('monitoring report, kept (a visit now)', report.cached),
      row('overview on a fresh server (estimates computed, every request before)', overview.fresh_server),
      row('overview, estimates kept', overview.kept),
      row(`alert page (limit 50, offset 100, by value) in SQL, of ${sqlPage.total}`, alerts.sql),
      row('the same page, every alert read and sorted in memory (the former route)', alerts.in_memory),
    ].join('\n'),
  );
} finally {
  rmSync(parent, { recursive: true, force: true });
}
