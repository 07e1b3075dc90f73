// Online serving throughput and latency: mloop's POST /v1/models/{name}:predict with the demo text
// model, logging on and off, against (a) a bare Node http server answering a constant (the limit)
// and (d) FastAPI + uvicorn serving scikit-learn TF-IDF + LinearSVC on the same data, all loaded
// by autocannon from a second process in the same run. Then p99 at half the maximum rate, twice
// the sustainable rate (fast 503s, recovery), and batch scoring rows per second.
// MLOOP_DIST=<dir> runs against another build of the code than ../dist.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from './lib.mjs';

const DIST = process.env.MLOOP_DIST ? pathToFileURL(`${process.env.MLOOP_DIST}/`).href : new URL('../dist/', import.meta.url).href;
const { initWorkspace, openWorkspace } = await import(`${DIST}workspace/index.js`);
const { buildServer } = await import(`${DIST}server/index.js`);
const { generateSupportRequests, supportRequestsToCsv } = await import(`${DIST}demo/index.js`);
const { trainModel } = await import(`${DIST}training/index.js`);

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 16;
const AUTOCANNON = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));

/** autocannon in a child process; `rate` caps the overall request rate. */
function load(url, { connections = CONNECTIONS, duration = DURATION, headers = {}, body, rate } = {}) {
  const args = [AUTOCANNON, '-j', '-c', String(connections), '-d', String(duration), '-m', 'POST', '-H', 'content-type=application/json'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  if (rate) args.push('--overallRate', String(Math.max(1, Math.round(rate))));
  args.push('-b', body, url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out);
      const codes = r.statusCodeStats ?? {};
      resolve({ rps: r.requests.average, p50_ms: r.latency.p50, p99_ms: r.latency.p99, max_ms: r.latency.max, ok: r['2xx'], non2xx: r.non2xx, s503: codes['503']?.count ?? 0, errors: r.errors, timeouts: r.timeouts, total: r.requests.total });
    });
  });
}

const parent = mkdtempSync(join(tmpdir(), 'mloop-bench-serving-'));
const dir = join(parent, 'ws');
const init = await initWorkspace(dir, { env: {} });
const setup = await openWorkspace({ workspace: dir, env: {} });
const rows = generateSupportRequests({ count: 6000, seed: 42 });
const csv = join(parent, 'support.csv');
writeFileSync(csv, supportRequestsToCsv(rows));
await setup.datasets.importFile({ file: csv, name: 'support', actor: 'bench', roles: { text: ['text'], label: ['intent'] } });
const trained = await trainModel({ datasets: setup.datasets, registry: setup.registry }, { dataset: 'support@1', name: 'support', targetPrecision: 0.95, actor: 'bench', seed: 42 });
await setup.registry.setAlias('bench', 'support', 'champion', trained.version.version, 'bench');
await setup.serving.deploy('bench', 'support@champion');
const auth = { authorization: `Bearer ${init.admin.token}` };
const body = JSON.stringify({ instances: [{ text: rows[17].text }] });

// (a) the limit: a bare Node server answering a constant of the same shape.
const constant = JSON.stringify({ model: 'support', model_version: 1, predictions: [{ label: 'billing', probabilities: { billing: 0.9 }, confidence: 0.9, decision: 'auto', model_version: 1, prediction_id: 'prd_0' }] });
const bare = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(constant) });
    res.end(constant);
  });
});
await new Promise((r) => bare.listen(0, '127.0.0.1', r));

async function mloop(serving, fn) {
  const ws = await openWorkspace({ workspace: dir, env: {} });
  const app = await buildServer(ws, { serving });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await fn(`http://127.0.0.1:${app.server.address().port}/v1/models/support:predict`, ws);
  } finally {
    await app.close();
    await ws.close();
  }
}

const results = {};
results.bare = await load(`http://127.0.0.1:${bare.address().port}/`, { body });
await mloop({}, async (url, ws) => {
  await load(url, { body, headers: auth, duration: 2 }); // warm-up
  results.logOn = await load(url, { body, headers: auth });
  results.logOnHalf = await load(url, { body, headers: auth, rate: results.logOn.rps / 2 });
  results.logged = ws.serving.runtime().log.snapshot();
});
await mloop({ logPredictions: false }, async (url) => {
  await load(url, { body, headers: auth, duration: 2 });
  results.logOff = await load(url, { body, headers: auth });
});
// Twice the sustainable rate, from 4× the connections, with a small admission limit; then half the rate again.
await mloop({ maxInflight: CONNECTIONS }, async (url) => {
  results.overload = await load(url, { body, headers: auth, connections: CONNECTIONS * 4, rate: results.logOn.rps * 2 });
  results.recovered = await load(url, { body, headers: auth, rate: results.logOn.rps / 2 });
});

// (d) FastAPI + uvicorn + scikit-learn on the same CSV, when the Debian packages are installed.
const py = spawnSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, sklearn'], { stdio: 'ignore' });
if (py.status === 0) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn('/usr/bin/python3', [fileURLToPath(new URL('./serving-fastapi.py', import.meta.url)), csv, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
  await new Promise((r) => setTimeout(r, 1500));
  const url = `http://127.0.0.1:${port}/predict`;
  await load(url, { body, duration: 2 });
  results.fastapi = await load(url, { body });
  child.kill('SIGTERM');
}

// Batch scoring rows per second.
const many = generateSupportRequests({ count: 100_000, seed: 7 });
const batchIn = join(parent, 'batch.csv');
writeFileSync(batchIn, supportRequestsToCsv(many));
const batch = await setup.serving.predictFile('support@champion', batchIn, join(parent, 'scored.parquet'));
results.batch = { rows: batch.rows, seconds: batch.seconds, rows_per_second: batch.rowsPerSecond };

await setup.close();
bare.close();
rmSync(parent, { recursive: true, force: true });

const m = machine();
console.log(JSON.stringify({ machine: m, results }, null, 2));
const row = (name, r) => `| ${name} | ${Math.round(r.rps)} | ${(r.rps / results.bare.rps).toFixed(2)} | ${r.p50_ms} | ${r.p99_ms} | ${r.non2xx + r.errors + r.timeouts} |`;
const ratio = (a, b) => (b ? (a / b).toFixed(2) : 'n/a');
console.log(`
### Online serving (${m.date.slice(0, 10)}, commit ${m.commit}, ${m.cpus}, ${m.memory_gib} GiB, Node ${m.node})
autocannon from a second process, one row per request, ${CONNECTIONS} connections, ${DURATION} s each, one after another.
Model: the demo text model (${rows.length} support requests; TF-IDF word+char n-grams, softmax regression), threshold at precision 0.95.

| target | req/s | vs bare | p50 ms | p99 ms | failed |
|---|---|---|---|---|---|
${row('(a) bare Node http, constant (the limit)', results.bare)}
${row('(b) mloop /v1/models/support:predict, logging on', results.logOn)}
${row('(c) mloop, logging off', results.logOff)}
${results.fastapi ? row('(d) FastAPI + uvicorn + sklearn TF-IDF+LinearSVC', results.fastapi) : '| (d) FastAPI peer | not installed | | | | |'}
${row(`(b) at half its maximum rate (${Math.round(results.logOn.rps / 2)} req/s)`, results.logOnHalf)}

- (b) / (a) = ${ratio(results.logOn.rps, results.bare.rps)} (goal ≥ 0.5); (b) / (d) = ${ratio(results.logOn.rps, results.fastapi?.rps)} (goal ≥ 3); logging cost = ${((1 - results.logOn.rps / results.logOff.rps) * 100).toFixed(1)} % (goal ≤ 10 %); p99 at half rate = ${results.logOnHalf.p99_ms} ms (goal ≤ 10 ms).
- Prediction log during (b): ${results.logged.written} written, ${results.logged.dropped} dropped.
- Twice the sustainable rate (${Math.round(results.logOn.rps * 2)} req/s offered, ${CONNECTIONS * 4} connections, maxInflight ${CONNECTIONS}): ${results.overload.ok} answered 200, ${results.overload.s503} answered 503, ${results.overload.timeouts} timeouts, p50 ${results.overload.p50_ms} ms, p99 ${results.overload.p99_ms} ms; then at half rate: ${results.recovered.non2xx} failures, p99 ${results.recovered.p99_ms} ms.
- Batch scoring (\`mloop predict\`, CSV → Parquet): ${results.batch.rows} rows in ${results.batch.seconds.toFixed(1)} s = ${Math.round(results.batch.rows_per_second)} rows/s.
`);
