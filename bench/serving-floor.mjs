// What the serving goals ask of this machine: `node bench/serving-floor.mjs` (Linux, wrk on PATH)
// serves the workspace bench/serving-profile.mjs caches in $TMPDIR/mloop-serving-profile (make it
// once with `node bench/serving-profile.mjs 5`) and measures, in alternated rounds:
//
// 1. The floor of goal (b), predict with logging ≥ 0.5× a bare Node server. A predict request
//    costs at least what the bare server pays (HTTP in and out, on Node's http, in a process of
//    its own as bench/serving-bare.mjs runs it) plus what the prediction itself needs whatever the
//    server: the model's predictProba for the one row, the answer's JSON (17 probabilities) and
//    the body's JSON.parse, each timed alone in this process. 0.5× of bare's rate means at most
//    2× bare's CPU per request; the report prints how much of that budget the floor leaves for
//    everything else (routing, auth, validation, metrics, ids, the prediction log).
// 2. What other CPU work on the machine costs the serving thread: the predict route with the
//    log off is loaded by wrk while another process burns CPU for a share (DUTIES, default
//    0,0.2,0.4) of every 10 ms, and req/s is compared with the rounds without it. The prediction
//    log's writer thread is such work (its SQLite inserts, ~10 µs CPU per row).
//
// ROUNDS (default 3), D seconds per wrk run (default 4). A tool for the serving analysis in
// bench/RESULTS.md, not one of `npm run bench`'s benchmarks.
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverNodeFlags } from './lib.mjs';

const root = join(tmpdir(), 'mloop-serving-profile');
const token = readFileSync(join(root, 'token'), 'utf8');
const bodyText = readFileSync(join(root, 'body.json'), 'utf8');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const D = Number(process.env.D ?? 4);
const DUTIES = (process.env.DUTIES ?? '0,0.2,0.4').split(',').map(Number);
const work = mkdtempSync(join(tmpdir(), 'mloop-bench-floor-'));
const lua = (auth) => {
  const file = join(work, auth ? 'auth.lua' : 'plain.lua');
  writeFileSync(
    file,
    `wrk.method="POST"\nwrk.headers["content-type"]="application/json"\n${auth ? `wrk.headers["authorization"]="Bearer ${token}"\n` : ''}local f=io.open("${root}/body.json","rb"); wrk.body=f:read("*a"); f:close()\n`,
  );
  return file;
};

function wrk(url, script) {
  const r = spawnSync('wrk', ['-t1', '-c16', `-d${D}s`, '-s', script, url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.error}`);
  return { n: Number(/(\d+) requests in/.exec(r.stdout)[1]), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)[1]) };
}
/** CPU seconds (user + system) of process `pid`, all threads. */
function cpu(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const s = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(s[11]) + Number(s[12])) / 100;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The servers: bare (as serving-http.bench.mjs runs it) and mloop with the log off.
const bare = fork(fileURLToPath(new URL('./serving-bare.mjs', import.meta.url)), [], {
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const barePort = await new Promise((resolve) => bare.once('message', (m) => resolve(m.port)));
const mloop = spawn(
  process.execPath,
  [
    ...(await serverNodeFlags(new URL('../dist/', import.meta.url).href)),
    fileURLToPath(new URL('./serving-profile.mjs', import.meta.url)),
    '--serve',
    join(root, 'ws'),
    '--no-log',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const mloopPort = await new Promise((resolve) =>
  mloop.stdout.on('data', (d) => /port (\d+)/.test(String(d)) && resolve(Number(/port (\d+)/.exec(String(d))[1]))),
);
const bareUrl = `http://127.0.0.1:${barePort}/`;
const predictUrl = `http://127.0.0.1:${mloopPort}/v1/models/support:predict`;
const plain = lua(false);
const auth = lua(true);
wrk(bareUrl, plain);
wrk(predictUrl, auth);

// 1. The parts of the floor, each alone in this process (medians of ROUNDS timings).
const DIST = new URL('../dist/', import.meta.url).href;
const { openWorkspace } = await import(`${DIST}workspace/index.js`);
const { loadModel } = await import(`${DIST}training/index.js`);
const { predictAnswerJson, rowResults } = await import(`${DIST}serving/index.js`);
const ws = await openWorkspace({ workspace: join(root, 'ws'), env: {} });
const predictor = await loadModel(ws.registry, await ws.registry.resolve('support@champion'));
await ws.close();
const text = JSON.parse(bodyText).instances[0].text;
const time = (f, n = 100_000) => {
  for (let i = 0; i < n / 10; i++) f();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t0) / n / 1000;
};
const parts = { model: [], answer: [], parse: [] };
for (let r = 0; r < ROUNDS; r++) {
  parts.model.push(time(() => predictor.predictProba({ text: [text] }, 1)));
  const rows = rowResults(predictor, 0.5, predictor.predictProba({ text: [text] }, 1), 1).map((x) => ({
    ...x,
    predictionId: 'prd_0193f1c2a7b0000f6e1d2c3b4a596877',
    probabilitiesJson: null,
  }));
  parts.answer.push(time(() => predictAnswerJson({ model: 'support', version: 1, rows })));
  parts.parse.push(time(() => JSON.parse(bodyText)));
}

// 2. Bare's CPU per request, and the predict route's req/s with another process burning CPU.
const burner = `const duty = Number(process.argv[1]); for (;;) { const t = performance.now(); while (performance.now() - t < duty * 10) {} await new Promise((r) => setTimeout(r, 10 * (1 - duty))); }`;
const bareUs = [];
const byDuty = new Map(DUTIES.map((d) => [d, []]));
for (let r = 0; r < ROUNDS; r++) {
  const c0 = cpu(bare.pid);
  const b = wrk(bareUrl, plain);
  bareUs.push(((cpu(bare.pid) - c0) * 1e6) / b.n);
  for (const d of r % 2 ? [...DUTIES].reverse() : DUTIES) {
    const burn = d > 0 ? spawn(process.execPath, ['--input-type=module', '-e', burner, String(d)], { stdio: 'ignore' }) : null;
    if (burn) await new Promise((res) => setTimeout(res, 300));
    byDuty.get(d).push(wrk(predictUrl, auth).rps);
    burn?.kill();
  }
}
bare.send('close');
mloop.kill('SIGINT');
rmSync(work, { recursive: true, force: true });

const f1 = (x) => x.toFixed(1);
const bareCpu = median(bareUs);
const floor = bareCpu + median(parts.model) + median(parts.answer) + median(parts.parse);
const free = byDuty.get(0) ?? [];
console.log(`### Serving floor and interference (${new Date().toISOString().slice(0, 16)}Z, load ${loadavg()[0].toFixed(2)}; ${ROUNDS} rounds of ${D} s, medians)

| part of a predict request | µs (CPU) |
|---|---|
| bare Node http server, whole request (own process, wrk -c16) | ${f1(bareCpu)} (rounds ${bareUs.map(f1).join(', ')}) |
| the demo text model's predictProba, one row | ${f1(median(parts.model))} |
| the answer's JSON (17 probabilities) | ${f1(median(parts.answer))} |
| JSON.parse of the body | ${f1(median(parts.parse))} |
| **floor** (the sum) | **${f1(floor)}** = ${(floor / bareCpu).toFixed(2)}× bare |
| goal (b)'s budget: 2× bare | ${f1(2 * bareCpu)}; left for routing, auth, validation, metrics, ids and the prediction log: ${f1(2 * bareCpu - floor)} |

| other process busy (share of each 10 ms) | predict req/s, log off (rounds) | vs none |
|---|---|---|
${DUTIES.map((d) => `| ${d * 100} % | ${Math.round(median(byDuty.get(d)))} (${byDuty.get(d).map(Math.round).join(', ')}) | ${free.length ? (median(byDuty.get(d)) / median(free)).toFixed(3) : ''} |`).join('\n')}`);
process.exit(0);
