// The prediction log's CPU cost per prediction, without HTTP: `node bench/serving-log-cost.mjs`
// predicts one row at a time through two serving runtimes on the demo text model (the workspace
// bench/serving-profile.mjs caches; run it once first), one logging and one not, in interleaved
// rounds, and prints the process's CPU time (serving thread + log worker thread) per prediction.
// Concurrency 16 (like the HTTP benchmark's connections) so the micro-batcher batches as it does there.
import { existsSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const DIST = process.env.MLOOP_DIST ? pathToFileURL(`${process.env.MLOOP_DIST}/`).href : new URL('../dist/', import.meta.url).href;
const root = join(tmpdir(), 'mloop-serving-profile');
if (!existsSync(join(root, 'token'))) throw new Error('run bench/serving-profile.mjs once first (it trains and caches the workspace)');
const { openWorkspace } = await import(`${DIST}workspace/index.js`);
const { buildServer } = await import(`${DIST}server/index.js`);
const text = JSON.parse(readFileSync(join(root, 'body.json'), 'utf8')).instances[0].text;
const make = async (logPredictions) => {
  const ws = await openWorkspace({ workspace: join(root, 'ws'), env: {} });
  const app = await buildServer(ws, { serving: { logPredictions } });
  await app.ready();
  return { ws, app, runtime: ws.serving.runtime() };
};
const on = await make(true);
const off = await make(false);
const N = Number(process.env.N ?? 4000);
async function round(t) {
  const c0 = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next++ < N) await t.runtime.predict('support', [{ text }]);
  }));
  await t.runtime.log.flush();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / N;
}
await round(on);
await round(off);
const rows = [];
for (let i = 0; i < Number(process.env.ROUNDS ?? 5); i++) {
  const a = i % 2 ? await round(off) : null;
  const b = await round(on);
  const o = a ?? (await round(off));
  rows.push({ on: b, off: o, cost: b - o, load: loadavg()[0] });
}
for (const r of rows) console.log(`log on ${r.on.toFixed(1)} µs, off ${r.off.toFixed(1)} µs per prediction: logging +${r.cost.toFixed(1)} µs (${((r.cost / r.off) * 100).toFixed(0)} %), load ${r.load.toFixed(1)}`);
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`median: on ${med(rows.map((r) => r.on)).toFixed(1)}, off ${med(rows.map((r) => r.off)).toFixed(1)}, logging +${med(rows.map((r) => r.cost)).toFixed(1)} µs per prediction`);
for (const t of [on, off]) {
  await t.app.close();
  await t.ws.close();
}
