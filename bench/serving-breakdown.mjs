// Where a prediction's CPU goes, layer by layer: `node bench/serving-breakdown.mjs` loads, with wrk
// (one thread, 16 connections) in alternated rounds, a bare Node http server answering a constant
// (bare), Fastify with one route answering it (fastify), mloop's public /healthz and authenticated
// /v1/whoami, the predict route with the log off (predOff) and on (predOn), and predOn with the
// logger `mloop server` uses (pino at info, to /dev/null: predOnLogger). Prints req/s and the
// process's CPU µs per request (user and system). DIST=<build> (default ../dist); DIST2=<build> adds
// that build's predOff2/predOn2/predOnLogger2 (and prints each round's pair); ONLY=a,b picks targets; ROUNDS (3), D seconds per run (4).
// A tool for finding costs beside the benchmark (serving-http.bench.mjs), not a replacement for it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const DIST = process.env.DIST ? pathToFileURL(`${process.env.DIST}/`).href : new URL('../dist/', import.meta.url).href;
const Fastify = (await import('fastify')).default;
const { initWorkspace, openWorkspace } = await import(`${DIST}workspace/index.js`);
const { buildServer } = await import(`${DIST}server/index.js`);
const { generateSupportRequests, supportRequestsToCsv } = await import(`${DIST}demo/index.js`);
const { trainModel } = await import(`${DIST}training/index.js`);
const parent = mkdtempSync(join(tmpdir(), 'mloop-bench-breakdown-'));
const rows = generateSupportRequests({ count: 6000, seed: 42 });
const csv = join(parent, 'support.csv'); writeFileSync(csv, supportRequestsToCsv(rows));
const dir = join(parent, 'ws');
const init = await initWorkspace(dir, { env: {} });
{ const ws = await openWorkspace({ workspace: dir, env: {} });
  await ws.datasets.importFile({ file: csv, name: 'support', actor: 'bench', roles: { text: ['text'], label: ['intent'] } });
  const t = await trainModel({ datasets: ws.datasets, registry: ws.registry }, { dataset: 'support@1', name: 'support', targetPrecision: 0.95, actor: 'bench', seed: 42 });
  await ws.registry.setAlias('bench', 'support', 'champion', t.version.version, 'bench');
  await ws.serving.deploy('bench', 'support@champion'); await ws.close(); }
const auth = `Bearer ${init.admin.token}`;
const body = JSON.stringify({ instances: [{ text: rows[17].text }] });
const bodyFile = join(parent, 'body.json'); writeFileSync(bodyFile, body);
const lua = join(parent, 'post.lua');
writeFileSync(lua, `wrk.method = os.getenv("M")
wrk.headers["content-type"] = "application/json"
if wrk.method == "POST" then local f = io.open(os.getenv("B"), "rb"); wrk.body = f:read("*a"); f:close() end
local a = os.getenv("A"); if a and a ~= "" then wrk.headers["authorization"] = a end
done = function(s, l, r) io.write(string.format('WRKJSON %d %d %d %d\\n', s.requests, s.duration, s.errors.status, l:percentile(99))) end
`);
const constant = JSON.stringify({ model: 'support', model_version: 1, predictions: [{ label: 'billing', probabilities: { billing: 0.9 }, confidence: 0.9, decision: 'auto', model_version: 1, prediction_id: 'prd_0' }] });
const bare = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(constant) }); res.end(constant); }); });
await new Promise((r) => bare.listen(0, '127.0.0.1', r));
const fy = Fastify(); fy.post('/p', async (req, reply) => { reply.type('application/json; charset=utf-8'); return constant; }); await fy.listen({ host: '127.0.0.1', port: 0 });
async function mloop(log) { const ws = await openWorkspace({ workspace: dir, env: {} }); const app = await buildServer(ws, { serving: { logPredictions: log } }); await app.listen({ host: '127.0.0.1', port: 0 }); await new Promise((r) => setTimeout(r, 3000)); return { ws, app, base: `http://127.0.0.1:${app.server.address().port}` }; }
const on = await mloop(true), off = await mloop(false);
const { pino } = await import('pino');
async function mloopLogged() { const ws = await openWorkspace({ workspace: dir, env: {} }); const logger = pino({ level: 'info', base: { service: 'mloop' }, timestamp: pino.stdTimeFunctions.isoTime, redact: ['req.headers.authorization', 'headers.authorization'] }, pino.destination({ dest: '/dev/null', sync: false })); const app = await buildServer(ws, { logger }); await app.listen({ host: '127.0.0.1', port: 0 }); await new Promise((r) => setTimeout(r, 3000)); return { ws, app, base: `http://127.0.0.1:${app.server.address().port}` }; }
const onLog = await mloopLogged();
let on2, off2, onLog2;
if (process.env.DIST2) {
  const D2 = pathToFileURL(process.env.DIST2 + '/').href;
  const m2 = { ...(await import(`${D2}workspace/index.js`)), ...(await import(`${D2}server/index.js`)) };
  const dir2 = join(parent, 'ws2'); const init2 = await m2.initWorkspace(dir2, { env: {} });
  { const ws = await m2.openWorkspace({ workspace: dir2, env: {} });
    await ws.datasets.importFile({ file: csv, name: 'support', actor: 'bench', roles: { text: ['text'], label: ['intent'] } });
    const t = await (await import(`${D2}training/index.js`)).trainModel({ datasets: ws.datasets, registry: ws.registry }, { dataset: 'support@1', name: 'support', targetPrecision: 0.95, actor: 'bench', seed: 42 });
    await ws.registry.setAlias('bench', 'support', 'champion', t.version.version, 'bench'); await ws.serving.deploy('bench', 'support@champion'); await ws.close(); }
  const mk = async (log) => { const ws = await m2.openWorkspace({ workspace: dir2, env: {} }); const app = await m2.buildServer(ws, { serving: { logPredictions: log } }); await app.listen({ host: '127.0.0.1', port: 0 }); await new Promise((r) => setTimeout(r, 3000)); return { ws, app, base: `http://127.0.0.1:${app.server.address().port}`, auth: `Bearer ${init2.admin.token}` }; };
  on2 = await mk(true); off2 = await mk(false);
  const ws = await m2.openWorkspace({ workspace: dir2, env: {} }); const logger = pino({ level: 'info', base: { service: 'mloop' }, timestamp: pino.stdTimeFunctions.isoTime, redact: ['req.headers.authorization', 'headers.authorization'] }, pino.destination({ dest: '/dev/null', sync: false }));
  const app = await m2.buildServer(ws, { logger }); await app.listen({ host: '127.0.0.1', port: 0 }); await new Promise((r) => setTimeout(r, 3000));
  onLog2 = { ws, app, base: `http://127.0.0.1:${app.server.address().port}`, auth: `Bearer ${init2.admin.token}` };
}
const targets = {
  bare: { url: `http://127.0.0.1:${bare.address().port}/`, m: 'POST' },
  fastify: { url: `http://127.0.0.1:${fy.server.address().port}/p`, m: 'POST' },
  healthz: { url: `${off.base}/healthz`, m: 'GET' },
  whoami: { url: `${off.base}/v1/whoami`, m: 'GET', a: auth },
  predOff: { url: `${off.base}/v1/models/support:predict`, m: 'POST', a: auth },
  predOn: { url: `${on.base}/v1/models/support:predict`, m: 'POST', a: auth, flush: on },
  predOnLogger: { url: `${onLog.base}/v1/models/support:predict`, m: 'POST', a: auth, flush: onLog },
  ...(on2 ? { predOff2: { url: `${off2.base}/v1/models/support:predict`, m: 'POST', a: off2.auth }, predOn2: { url: `${on2.base}/v1/models/support:predict`, m: 'POST', a: on2.auth, flush: on2 }, predOnLogger2: { url: `${onLog2.base}/v1/models/support:predict`, m: 'POST', a: onLog2.auth, flush: onLog2 } } : {}),
};
const only = process.env.ONLY ? process.env.ONLY.split(',') : Object.keys(targets);
function wrk(t, d) { return new Promise((res) => { const c = spawn('/usr/bin/wrk', ['-t1', '-c16', `-d${d}s`, '-s', lua, t.url], { env: { ...process.env, M: t.m, B: bodyFile, A: t.a ?? '' } }); let o = ''; c.stdout.on('data', (x) => (o += x)); c.on('close', () => { const m = /WRKJSON (\d+) (\d+) (\d+) (\d+)/.exec(o); res({ n: +m[1], rps: +m[1] / (+m[2] / 1e6), bad: +m[3], p99: +m[4] / 1000 }); }); }); }
for (const k of only) await wrk(targets[k], 1);
const R = Number(process.env.ROUNDS ?? 3), D = Number(process.env.D ?? 4);
const res = Object.fromEntries(only.map((k) => [k, []]));
for (let r = 0; r < R; r++) {
  const order = only.slice(r % only.length).concat(only.slice(0, r % only.length));
  for (const k of order) {
    const c0 = process.cpuUsage(); const w = await wrk(targets[k], D);
    if (targets[k].flush) await targets[k].flush.ws.serving.runtime().log.flush();
    const c = process.cpuUsage(c0);
    res[k].push({ rps: w.rps, us: (c.user + c.system) / w.n, usr: c.user / w.n, sys: c.system / w.n, bad: w.bad, p99: w.p99 });
  }
}
const med = (xs) => { const a = [...xs].sort((x, y) => x - y); return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2; };
console.log(`load ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${R} rounds of ${D}s; medians`);
console.log('| target | req/s | vs bare | CPU µs/req | user | sys | p99 ms | non-2xx |');
for (const k of only) console.log(`| ${k} | ${med(res[k].map((x) => x.rps)).toFixed(0)} | ${(med(res[k].map((x) => x.rps)) / med(res.bare?.map((x) => x.rps) ?? [1])).toFixed(2)} | ${med(res[k].map((x) => x.us)).toFixed(0)} | ${med(res[k].map((x) => x.usr)).toFixed(0)} | ${med(res[k].map((x) => x.sys)).toFixed(0)} | ${med(res[k].map((x) => x.p99)).toFixed(1)} | ${res[k].reduce((s, x) => s + x.bad, 0)} |`);
// Paired rounds: each DIST target beside its DIST2 twin measured in the same round.
for (const k of only) {
  const k2 = `${k}2`;
  if (!res[k2]) continue;
  const a = res[k].map((x) => x.us), b = res[k2].map((x) => x.us);
  const lower = a.filter((x, i) => x < b[i]).length;
  console.log(`${k} vs ${k2} per round (µs): ${a.map((x, i) => `${x.toFixed(0)}/${b[i].toFixed(0)}`).join(', ')}; DIST lower in ${lower} of ${a.length}; median ratio ${med(a.map((x, i) => x / b[i])).toFixed(3)}`);
}
for (const s of [on, off, onLog, on2, off2, onLog2]) {
  if (!s) continue;
  await s.app.close();
  await s.ws.close();
}
await fy.close();
bare.close();
rmSync(parent, { recursive: true, force: true });
process.exit(0);
