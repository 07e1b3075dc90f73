#!/usr/bin/env node
// The job queue's own cost: enqueue rate, and throughput of no-op jobs (sleep 0 ms) through
// in-process workers, on SQLite and (when reachable) PostgreSQL. Every job must end succeeded
// exactly once; the figures are jobs per second of claim + heartbeat-free run + fenced finish + logs.
// Usage: npm run build && node bench/jobs-queue.bench.mjs [--jobs 1000] [--pg postgres://postgres@127.0.0.1:5432/postgres]
// (MLOOP_BENCH_DIST=/path/to/dist uses another build.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { machine } from './lib.mjs';

const DIST = process.env.MLOOP_BENCH_DIST ?? new URL('../dist', import.meta.url).pathname;
const { JobService, JobWorker, SqlJobStore, sleepHandler } = await import(`${DIST}/jobs/index.js`);
const { openBackend, migrate } = await import(`${DIST}/storage/index.js`);

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const N = Number(arg('--jobs', '1000'));
const PG = arg('--pg', 'postgres://postgres@127.0.0.1:5432/postgres');
const OPTIONS = { busyTimeoutMs: 5000, poolSize: 20, connectTimeoutMs: 3000 };

async function run(label, url, layouts) {
  const rows = [];
  for (const { workers, concurrency } of layouts) {
    const backend = await openBackend(url(), OPTIONS);
    await migrate(backend);
    const jobs = new JobService(new SqlJobStore(backend.db, backend.capabilities), [sleepHandler], { maxAttempts: 3, backoffMs: 1000 });
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await jobs.enqueue('bench', { type: 'sleep', key: `b-${i}`, payload: { ms: 0 } });
    const enqueuePerS = N / ((performance.now() - t0) / 1000);
    const ws = Array.from({ length: workers }, (_, i) => new JobWorker(jobs, { id: `w${i}`, concurrency, leaseMs: 30000, pollMs: 5 }));
    t0 = performance.now();
    for (const w of ws) w.start();
    while ((await jobs.counts()).succeeded < N) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(ws.map((w) => w.stop()));
    const attempts = ws.reduce((n, w) => n + w.reports.length, 0);
    rows.push({ backend: label, workers, concurrency, enqueue_per_s: Math.round(enqueuePerS), jobs_per_s: Math.round(N / seconds), attempts, duplicates: attempts - N });
    await backend.close();
  }
  return rows;
}

const results = [];
const layouts = [
  { workers: 1, concurrency: 1 },
  { workers: 4, concurrency: 4 },
];
const dirs = [];
results.push(
  ...(await run('sqlite', () => {
    const d = mkdtempSync(join(tmpdir(), 'mloop-jobs-bench-'));
    dirs.push(d);
    return `sqlite:${join(d, 'mloop.db')}`;
  }, layouts)),
);
const dbs = [];
try {
  const probe = new pg.Client({ connectionString: PG, connectionTimeoutMillis: 2000 });
  await probe.connect();
  await probe.end();
  results.push(
    ...(await run('postgres', () => {
      const u = new URL(PG);
      u.pathname = `/mloop_jobs_bench_${Math.random().toString(16).slice(2, 10)}`;
      dbs.push(u.pathname.slice(1));
      return u.toString();
    }, layouts)),
  );
} catch (err) {
  console.log(`PostgreSQL at ${PG} not reachable (${err.code ?? err.message}): skipped`);
}
for (const d of dirs) rmSync(d, { recursive: true, force: true });
if (dbs.length > 0) {
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  for (const d of dbs) await admin.query(`DROP DATABASE IF EXISTS "${d}" WITH (FORCE)`);
  await admin.end();
}
console.table(results);
const m = machine();
console.log(`\n### jobs-queue (${m.date}, ${m.cpus}, node ${m.node}, ${m.commit})\n`);
console.log(`${N} no-op jobs; every one ran exactly once (duplicates must be 0).\n`);
console.log('| backend | workers × concurrency | enqueue/s | jobs/s | duplicates |');
console.log('|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.backend} | ${r.workers} × ${r.concurrency} | ${r.enqueue_per_s} | ${r.jobs_per_s} | ${r.duplicates} |`);
if (results.some((r) => r.duplicates !== 0)) process.exit(1);
