#!/usr/bin/env node
// The server's start-up monitoring reports (the dashboard's result cache warmed once the server
// listens) on a workspace whose log holds many predictions of one model in one 7-day window (as
// the serving benchmark's rounds leave it): the walk as it was (every model's report, whole log)
// versus the walk bounded by the monitoring.warmRows setting (MLOOP_MONITORING_WARM_ROWS; a bigger log deferred to its first visit),
// alternated in the same process, CPU (process.cpuUsage, worker threads included) and wall per walk.
//
//   npx tsc -p tsconfig.build.json && node bench/monitor-startup.bench.mjs [predictions=50000] [rounds=3]
//
// BENCH_COMPARE_DIST=<another build's dist folder> also computes the first visit's report (the
// dashboard cache's: 7-day windows over the whole log) in fresh processes, alternating this build
// and the other one on the same workspace, `rounds` times each: CPU, wall and a digest of the
// windows (equal digests: the same report).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { machine } from './lib.mjs';

if (process.argv[2] === '--visit') {
  // Child: one first visit's report computed by the build in argv[3] on the workspace in argv[4].
  const { openWorkspace } = await import(path.join(process.argv[3], 'workspace/index.js'));
  const ws = await openWorkspace({ workspace: process.argv[4], env: {} });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await ws.monitoring.report({ model: 'support-router', window: '7d', pageSize: 250 });
  const c = process.cpuUsage(c0);
  const digest = createHash('sha256').update(JSON.stringify(r.windows.map((w) => [w.predictions, w.features, w.prediction, w.performance]))).digest('hex').slice(0, 16);
  console.log(JSON.stringify({ load1: +loadavg()[0].toFixed(2), cpu_s: +((c.user + c.system) / 1e6).toFixed(2), wall_s: +((performance.now() - t0) / 1000).toFixed(2), windows: r.windows.length, digest }));
  await ws.close();
  process.exit(0);
}

const DIST = new URL('../dist', import.meta.url).pathname;
const { runDemo, generateSupportRequests } = await import(path.join(DIST, 'demo/index.js'));
const { openWorkspace } = await import(path.join(DIST, 'workspace/index.js'));
const { demoServing } = await import(path.join(DIST, 'serving/index.js'));
const { MonitoringResultCache } = await import(path.join(DIST, 'monitoring/index.js'));
const { buildServer } = await import(path.join(DIST, 'server/index.js'));
const { localPrincipal } = await import(path.join(DIST, 'auth/index.js'));

const PREDICTIONS = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const MODEL = 'support-router';

const parent = mkdtempSync(path.join(tmpdir(), 'mloop-bench-warm-'));
try {
  let t = performance.now();
  const demo = await runDemo({ dir: path.join(parent, 'ws'), count: 2000, env: {} });
  const ws = await openWorkspace({ workspace: demo.workspace, env: {} });
  const MONITORING_WARM_ROWS = ws.config.monitoring.warmRows;
  const traffic = generateSupportRequests({ count: PREDICTIONS, seed: 77 });
  await demoServing(ws, { model: MODEL, rows: traffic.map((r) => ({ text: r.text })), actor: 'bench' });
  const models = (await ws.registry.listModels()).map((m) => m.name);
  const logs = Object.fromEntries(await Promise.all(models.map(async (m) => [m, (await ws.monitoring.logState(m)).predictions])));
  console.error(`workspace ready in ${((performance.now() - t) / 1000).toFixed(0)} s; log rows per model: ${JSON.stringify(logs)}`);

  const walk = async (bounded) => {
    const cache = new MonitoringResultCache(ws.monitoring, ws.registry);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const warmed = await cache.warm(models, undefined, bounded ? { maxRows: MONITORING_WARM_ROWS } : {});
    const c = process.cpuUsage(c0);
    return { cpu_s: +((c.user + c.system) / 1e6).toFixed(2), wall_s: +((performance.now() - t0) / 1000).toFixed(2), deferred: warmed.filter((w) => w.deferred).map((w) => w.model) };
  };
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const load = loadavg()[0];
    // Alternate which goes first.
    const [a, b] = i % 2 === 0 ? [await walk(false), await walk(true)] : (([y, x]) => [x, y])([await walk(true), await walk(false)]);
    rounds.push({ round: i, load1: +load.toFixed(2), whole_log: a, bounded: b });
    console.error(JSON.stringify(rounds.at(-1)));
  }
  // The server itself: CPU in the 10 s after it starts listening (what its predictions compete
  // with), then the first monitoring visit (the deferred report computed) and a second one (kept).
  const admin = localPrincipal();
  await ws.auth.createUser(admin, 'bench', ['admin']);
  const headers = { authorization: `Bearer ${(await ws.auth.createToken(admin, { user: 'bench' })).token}` };
  const app = await buildServer(ws);
  const c0 = process.cpuUsage();
  await app.listen({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => setTimeout(r, 10_000));
  const c1 = process.cpuUsage(c0);
  const visit = async () => {
    const c = process.cpuUsage();
    const t0 = performance.now();
    const r = await app.inject({ url: `/v1/dashboard/models/${MODEL}/monitoring`, headers });
    if (r.statusCode !== 200) throw new Error(`${r.statusCode} ${r.body.slice(0, 200)}`);
    const d = process.cpuUsage(c);
    return { cpu_s: +((d.user + d.system) / 1e6).toFixed(2), wall_s: +((performance.now() - t0) / 1000).toFixed(2), windows: r.json().windows.length };
  };
  const server = { load1: +loadavg()[0].toFixed(2), cpu_s_first_10s_after_listen: +((c1.user + c1.system) / 1e6).toFixed(2), first_visit: await visit(), second_visit: await visit() };
  await app.close();
  console.error(JSON.stringify({ server }));
  await ws.close?.();
  const other = process.env['BENCH_COMPARE_DIST'];
  const first_visit_builds = [];
  if (other) {
    const visit = (dist) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--visit', dist, demo.workspace], { encoding: 'utf8', maxBuffer: 1 << 24 }));
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? [DIST, other] : [other, DIST];
      for (const dist of order) {
        first_visit_builds.push({ round: i, build: dist === DIST ? 'this' : other, ...visit(dist) });
        console.error(JSON.stringify(first_visit_builds.at(-1)));
      }
    }
  }
  console.log(JSON.stringify({ machine: machine(), predictions: PREDICTIONS, max_rows: MONITORING_WARM_ROWS, log_rows: logs, rounds, server, first_visit_builds }, null, 2));
} finally {
  rmSync(parent, { recursive: true, force: true });
}
