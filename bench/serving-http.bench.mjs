// Online serving throughput and latency: mloop's POST /v1/models/{name}:predict with the demo text
// model, logging on and off, against (a) a bare Node http server answering a constant (the limit)
// and (d) FastAPI + uvicorn serving scikit-learn TF-IDF + LinearSVC on the same data, all loaded
// by wrk (one thread; autocannon when wrk is not installed or BENCH_LOADGEN=autocannon) from a
// second process in the same run, in interleaved rounds, with the server's CPU time per request
// beside req/s (CPU per request moves much less than req/s when other work shares the machine).
// Then p99 at half the maximum rate, paced: wrk with 64 connections each waiting an exponential
// think time between requests (arrivals roughly Poisson at the target rate, calibrated by a 2-s
// run; see loadPaced), and again with autocannon --overallRate, the only half-rate figure in
// RESULTS.md before this change, kept for comparison: autocannon gives each connection a quota per
// 1-s tick and sends it back to back, so its "half rate" is full closed-loop load for about half
// of each second, then silence, and its p99 is nearer that of a saturated server. Without wrk
// (or with BENCH_LOADGEN=autocannon) only the autocannon figure is measured, and the report says so.
// Then twice the sustainable rate (fast 503s; autocannon, whose bursts suit an overload) and the
// recovery at half rate (paced, then autocannon), and batch scoring rows per second.
// BENCH_SECONDS (default 5) and BENCH_ROUNDS (default 3). MLOOP_DIST=<dir> runs against another
// build of the code than ../dist; MLOOP_DIST_BEFORE=<dir> adds that build's server, logging on and
// off, to the same interleaved rounds (its own workspace, same data and seed), for a before/after
// comparison under the same load. Each mloop server runs in a process of its own, with the Node
// flags `mloop server` of its build starts with (setting server.semiSpaceMb, since 2026-11-27)
// (bench/serving-server.mjs; before 2026-11-27 00:30 they all ran in this process, one V8 heap for
// all) and logs as `mloop server` does (pino at info, the lines going to /dev/null); BENCH_LOGGER=0
// runs them without a logger, as runs before 2026-11-26 15:50 did. BENCH_FRESH=1 starts the bare
// and mloop servers anew for each round: on this shared host one process of the same code can use up
// to twice the CPU per request of another for its whole life, so long-lived servers compare
// processes as much as targets (bench/RESULTS.md, session 10).
import { fork, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg as osLoadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, serverNodeFlags } from './lib.mjs';
import { bareHandler } from './serving-bare.mjs';

const DIST = process.env.MLOOP_DIST
  ? pathToFileURL(`${process.env.MLOOP_DIST}/`).href
  : new URL('../dist/', import.meta.url).href;
const { initWorkspace, openWorkspace } = await import(`${DIST}workspace/index.js`);
const { generateSupportRequests, supportRequestsToCsv } = await import(`${DIST}demo/index.js`);
const { trainModel } = await import(`${DIST}training/index.js`);
const BEFORE = process.env.MLOOP_DIST_BEFORE ? pathToFileURL(`${process.env.MLOOP_DIST_BEFORE}/`).href : null;

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;
const AUTOCANNON = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));

/** autocannon in a child process; `rate` caps the overall request rate. */
function load(url, { connections = CONNECTIONS, duration = DURATION, headers = {}, body, rate } = {}) {
  const args = [
    AUTOCANNON,
    '-j',
    '-c',
    String(connections),
    '-d',
    String(duration),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
  ];
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
      resolve({
        rps: r.requests.average,
        p50_ms: r.latency.p50,
        p99_ms: r.latency.p99,
        max_ms: r.latency.max,
        ok: r['2xx'],
        non2xx: r.non2xx,
        s503: codes['503']?.count ?? 0,
        errors: r.errors,
        timeouts: r.timeouts,
        total: r.requests.total,
      });
    });
  });
}

const parent = mkdtempSync(join(tmpdir(), 'mloop-bench-serving-'));
const WRK = process.env.BENCH_LOADGEN === 'autocannon' ? null : ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p)) ?? null;
const WRK_SCRIPT = join(parent, 'post.lua');
const WRK_PACED_SCRIPT = join(parent, 'paced.lua');
// wrk posts the body and headers named in its environment and prints its summary as one JSON line.
const wrkPost = `wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
local f = io.open(os.getenv("WRK_BODY_FILE"), "rb"); wrk.body = f:read("*a"); f:close()
local auth = os.getenv("WRK_AUTHORIZATION"); if auth and auth ~= "" then wrk.headers["authorization"] = auth end
done = function(summary, latency, requests)
  local e = summary.errors
  local s503 = count_503 and count_503() or 0
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"s503":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.max, s503))
end
`;
writeFileSync(WRK_SCRIPT, wrkPost);
// The same, each connection waiting an exponential think time (mean WRK_THINK_MS) before each
// request, its first included. wrk calls delay() when a response is complete and starts the
// latency clock when it writes the next request, so the think time is not in the latency. Each
// thread has its own Lua state and seed (setup runs in the main state, thread:set in the thread's).
// It also counts 503s (the admission limit) per thread, summed in done() through thread:get.
writeFileSync(
  WRK_PACED_SCRIPT,
  `${wrkPost}
local think_ms = tonumber(os.getenv("WRK_THINK_MS"))
local seed = tonumber(os.getenv("WRK_SEED")) or os.time()
local threads = {}
setup = function(thread) table.insert(threads, thread); thread:set("thread_seed", seed + #threads) end
init = function(args) math.randomseed(thread_seed or seed); s503 = 0 end
delay = function() return math.floor(-think_ms * math.log(1 - math.random()) + 0.5) end
response = function(status, headers, body) if status == 503 then s503 = s503 + 1 end end
count_503 = function() local n = 0; for _, t in ipairs(threads) do n = n + (t:get("s503") or 0) end; return n end
`,
);

/** wrk (one thread) in a child process, as fast as the server answers; the same result shape as {@link load}. */
function loadWrk(url, { connections = CONNECTIONS, duration = DURATION, headers = {}, body, thinkMs }) {
  const bodyFile = join(parent, 'body.json');
  writeFileSync(bodyFile, body);
  const env = { ...process.env, WRK_BODY_FILE: bodyFile, WRK_AUTHORIZATION: headers.authorization ?? '' };
  if (thinkMs) Object.assign(env, { WRK_THINK_MS: String(thinkMs), WRK_SEED: String(Math.floor(Math.random() * 2 ** 31)) });
  const script = thinkMs ? WRK_PACED_SCRIPT : WRK_SCRIPT;
  const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '10s', '-s', script, url];
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}: ${out.slice(-500)}`));
      const r = JSON.parse(line.slice('WRKJSON '.length));
      const socketErrors = r.connect + r.read + r.write;
      resolve({
        rps: r.requests / (r.duration_us / 1e6),
        p50_ms: Math.round(r.p50_us / 100) / 10,
        p99_ms: Math.round(r.p99_us / 100) / 10,
        max_ms: Math.round(r.max_us / 100) / 10,
        ok: r.requests - r.status,
        non2xx: r.status,
        s503: r.s503 ?? 0, // counted by the paced script only; the full-speed runs count them in non2xx alone
        errors: socketErrors,
        timeouts: r.timeout,
        total: r.requests,
      });
    });
  });
}
/** Full-speed load: wrk when installed, else autocannon. */
const loadMax = (url, opts) => (WRK ? loadWrk(url, opts) : load(url, opts));

/**
 * Paced load at about `rate` req/s offered (wrk only): PACED_CONNECTIONS connections, each
 * waiting an exponential think time between its requests, so that the arrivals are roughly
 * Poisson, unlike autocannon's per-second bursts. A connection sends its next request only after
 * the previous answer, so each cycle is think time + latency and the achieved rate falls below
 * connections / think time when the latency is not small against it: `calibratePace` measures the
 * cycle's excess in a short run and shortens the mean think time by it. With the connections
 * mostly idle in think time, a server stall still meets the requests that arrive during it and
 * their wait is measured (wrk's latency clock starts when it writes the request): little
 * coordinated omission, as long as the stall is shorter than about the mean think time; a longer
 * one leaves every connection waiting, the later arrivals are not sent, and the achieved rate
 * (reported beside the target) drops.
 */
const PACED_CONNECTIONS = 64;
const PACE_CALIBRATION_SECONDS = 2;
/** The mean think time (ms) that makes PACED_CONNECTIONS connections offer about `rate` req/s against `url`. */
async function calibratePace(url, { rate, headers, body }) {
  const nominal = (PACED_CONNECTIONS / rate) * 1000;
  const r = await loadWrk(url, {
    connections: PACED_CONNECTIONS,
    duration: PACE_CALIBRATION_SECONDS,
    headers,
    body,
    thinkMs: nominal,
  });
  // Per-cycle ms beyond the think time: latency, timer slack; never shorten the think time by more than half.
  const excess = (PACED_CONNECTIONS / Math.max(1, r.rps)) * 1000 - nominal;
  const thinkMs = Math.max(nominal / 2, nominal - excess);
  return {
    think_ms: Math.round(thinkMs * 100) / 100,
    nominal_think_ms: Math.round(nominal * 100) / 100,
    calibration_rps: r.rps,
    calibration_p99_ms: r.p99_ms,
  };
}
/** One paced run with a think time from {@link calibratePace}. */
async function loadPaced(url, { rate, pace, duration = DURATION, headers, body, connections = PACED_CONNECTIONS }) {
  const r = await loadWrk(url, { connections, duration, headers, body, thinkMs: pace.think_ms });
  return { ...r, paced: true, target_rps: rate, connections, ...pace };
}
const rows = generateSupportRequests({ count: 6000, seed: 42 });
const csv = join(parent, 'support.csv');
writeFileSync(csv, supportRequestsToCsv(rows));
/** A workspace in `wsDir` made by the build `mods`, with the demo text model deployed; its admin token. */
async function prepare(mods, wsDir) {
  const init = await mods.initWorkspace(wsDir, { env: {} });
  const ws = await mods.openWorkspace({ workspace: wsDir, env: {} });
  await ws.datasets.importFile({ file: csv, name: 'support', actor: 'bench', roles: { text: ['text'], label: ['intent'] } });
  const trained = await mods.trainModel(
    { datasets: ws.datasets, registry: ws.registry },
    { dataset: 'support@1', name: 'support', targetPrecision: 0.95, actor: 'bench', seed: 42 },
  );
  await ws.registry.setAlias('bench', 'support', 'champion', trained.version.version, 'bench');
  await ws.serving.deploy('bench', 'support@champion');
  return { ws, auth: { authorization: `Bearer ${init.admin.token}` } };
}
const current = { initWorkspace, openWorkspace, trainModel, dir: join(parent, 'ws'), dist: DIST };
const dir = current.dir;
const { ws: setup, auth } = await prepare(current, dir);
current.auth = auth;
let before = null;
if (BEFORE) {
  const m = { ...(await import(`${BEFORE}workspace/index.js`)), ...(await import(`${BEFORE}training/index.js`)) };
  before = { initWorkspace: m.initWorkspace, openWorkspace: m.openWorkspace, trainModel: m.trainModel, dir: join(parent, 'ws-before'), dist: BEFORE };
  const made = await prepare(before, before.dir);
  await made.ws.close();
  before.auth = made.auth;
}
const body = JSON.stringify({ instances: [{ text: rows[17].text }] });

// (a) the limit: a bare Node server answering a constant of the same shape, in a process of its
// own (bench/serving-bare.mjs). BENCH_BARE_SHARED=1 adds the same server run in this process, as
// runs before 2026-11-27 02:30 measured it (this process trained the model; it answers slower).
/** Starts the bare server in a process of its own: {child, port}. */
async function startBare() {
  const child = fork(fileURLToPath(new URL('./serving-bare.mjs', import.meta.url)), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`bare server exited with code ${code}`)));
  });
  return { child, port };
}
/** Stops the bare server and waits for it to exit. */
const stopBare = (b) => new Promise((resolve) => (b.child.exitCode !== null ? resolve() : (b.child.once('exit', resolve), b.child.send('close'))));
let bareServer = await startBare();
const bareShared = process.env.BENCH_BARE_SHARED === '1' ? createServer(bareHandler) : null;
if (bareShared) await new Promise((r) => bareShared.listen(0, '127.0.0.1', r));

/** CPU seconds (user + system) of this process (the servers and their log worker) since `from`. */
const cpuSince = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};
/** CPU seconds of another process, from /proc (Linux). */
function procCpu(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
const loadavg = () =>
  osLoadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/**
 * Resolves once `url` answers a prediction within 20 ms three times in a row (at most 120 s): the
 * server computes the dashboard's monitoring reports when it starts listening, on its main thread,
 * and the measurements must not include that.
 */
async function settle(url, headers) {
  const deadline = Date.now() + 120_000;
  let fast = 0;
  while (fast < 3 && Date.now() < deadline) {
    const t0 = performance.now();
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then((r) => r.arrayBuffer());
    fast = performance.now() - t0 < 20 ? fast + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const LOGGER = process.env.BENCH_LOGGER !== '0';
/**
 * An mloop server of `build` in a process of its own (bench/serving-server.mjs), as `mloop server`
 * runs: its CPU is read from /proc, its prediction log is flushed and read over IPC.
 */
async function startMloop(serving, build = current) {
  // The Node flags `mloop server` of that build starts with: its setting server.semiSpaceMb (Node's default before it existed).
  const execArgv = await serverNodeFlags(build.dist);
  build.nodeFlags = execArgv.join(' ') || 'none';
  const child = fork(fileURLToPath(new URL('./serving-server.mjs', import.meta.url)), [JSON.stringify({ dist: build.dist, dir: build.dir, serving, logger: LOGGER })], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv,
  });
  const replies = [];
  let waiting = null;
  child.on('message', (m) => (waiting ? (waiting(m), (waiting = null)) : replies.push(m)));
  const next = () => (replies.length > 0 ? Promise.resolve(replies.shift()) : new Promise((resolve) => (waiting = resolve)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = await Promise.race([next(), exited.then((code) => Promise.reject(new Error(`server process exited with code ${code}`)))]);
  // The server computes the dashboard's monitoring reports after listen, yielding to requests but
  // taking CPU for seconds when the workspace's log is large (the overload run reuses the log of
  // the rounds): it reports ready after them.
  console.error(`server started; its start-up monitoring reports took ${ready.warm_ms} ms more`);
  const url = `http://127.0.0.1:${ready.port}/v1/models/support:predict`;
  await settle(url, build.auth);
  const ask = async (m) => (child.send(m), next());
  return {
    url,
    pid: child.pid,
    flush: () => ask('flush'),
    snapshot: async () => (await ask('snapshot')).snapshot,
    close: async () => (await ask('close'), await exited),
  };
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** BENCH_QUICK=1: only the interleaved rounds and the half-rate run (no overload, no batch scoring). */
const QUICK = process.env.BENCH_QUICK === '1';
const results = { load_before: loadavg(), rounds: [] };
let on = await startMloop({});
let off = await startMloop({ logPredictions: false });
let onBefore = before && (await startMloop({}, before));
let offBefore = before && (await startMloop({ logPredictions: false }, before));
const FRESH = process.env.BENCH_FRESH === '1';
/** BENCH_FRESH=1: stops the bare and mloop servers and starts them anew (same builds, modes and workspaces). */
async function restartServers() {
  await Promise.all([stopBare(bareServer), on.close(), off.close(), onBefore?.close(), offBefore?.close()]);
  bareServer = await startBare();
  on = await startMloop({});
  off = await startMloop({ logPredictions: false });
  onBefore = before && (await startMloop({}, before));
  offBefore = before && (await startMloop({ logPredictions: false }, before));
}
let fastapi = null;
const py = spawnSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, sklearn'], { stdio: 'ignore' });
if (py.status === 0) {
  // (d) FastAPI + uvicorn + scikit-learn on the same CSV, when the Debian packages are installed.
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn('/usr/bin/python3', [fileURLToPath(new URL('./serving-fastapi.py', import.meta.url)), csv, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
  await new Promise((r) => setTimeout(r, 1500));
  fastapi = { child, url: `http://127.0.0.1:${port}/predict` };
}
const targets = {
  // Getters: with BENCH_FRESH=1 the servers behind the targets change every round.
  bare: { get url() { return `http://127.0.0.1:${bareServer.port}/`; }, headers: {}, cpu: () => procCpu(bareServer.child.pid) },
  ...(bareShared ? { bareShared: { url: `http://127.0.0.1:${bareShared.address().port}/`, headers: {}, cpu: () => cpuSince({ user: 0, system: 0 }) } } : {}),
  logOn: { get url() { return on.url; }, headers: auth, cpu: () => procCpu(on.pid) },
  logOff: { get url() { return off.url; }, headers: auth, cpu: () => procCpu(off.pid) },
  ...(before
    ? {
        beforeOn: { get url() { return onBefore.url; }, headers: before.auth, cpu: () => procCpu(onBefore.pid) },
        beforeOff: { get url() { return offBefore.url; }, headers: before.auth, cpu: () => procCpu(offBefore.pid) },
      }
    : {}),
  ...(fastapi ? { fastapi: { url: fastapi.url, headers: {}, cpu: () => procCpu(fastapi.child.pid) } } : {}),
};
/**
 * One load run, with the server's CPU seconds per request: full speed; at `rate` with autocannon's
 * per-second bursts; or, with `paced` (and wrk), paced at `rate` after a calibration run outside
 * the CPU count.
 */
async function measure(name, opts = {}) {
  const t = targets[name];
  if (opts.paced) {
    opts = { ...opts, pace: await calibratePace(t.url, { rate: opts.rate, headers: t.headers, body }) };
    if (name === 'logOn') await on.flush();
  }
  const before = t.cpu();
  const run = opts.paced ? loadPaced : opts.rate ? load : loadMax;
  const r = await run(t.url, { body, headers: t.headers, ...opts });
  // The log worker's writes belong to the run that made them, not to the next target's.
  if (name === 'logOn') await on.flush();
  if (name === 'beforeOn') await onBefore.flush();
  const cpu = t.cpu() - before;
  return { ...r, cpu_us_per_request: (cpu * 1e6) / Math.max(1, r.total) };
}
for (const name of Object.keys(targets)) await loadMax(targets[name].url, { body, headers: targets[name].headers, duration: 2 }); // warm-up
// Interleaved rounds (the order rotates) so that a change in the machine's load hits every target alike.
for (let round = 0; round < ROUNDS; round++) {
  if (FRESH && round > 0) {
    await restartServers();
    for (const name of Object.keys(targets)) if (name !== 'fastapi') await loadMax(targets[name].url, { body, headers: targets[name].headers, duration: 2 }); // warm-up
  }
  const names = Object.keys(targets);
  const order = names.slice(round % names.length).concat(names.slice(0, round % names.length));
  const r = { load: loadavg() };
  for (const name of order) r[name] = await measure(name);
  results.rounds.push(r);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const med = (name, key) => median(results.rounds.map((r) => r[name]?.[key]).filter((x) => x !== undefined));
const ratios = (a, b) => results.rounds.map((r) => r[a].rps / r[b].rps);
results.ratio_on_bare = ratios('logOn', 'bare');
results.ratio_off_bare = ratios('logOff', 'bare');
results.logging_cost = results.rounds.map((r) => 1 - r.logOn.rps / r.logOff.rps);
results.logging_cpu = results.rounds.map((r) => r.logOn.cpu_us_per_request / r.logOff.cpu_us_per_request - 1);
if (before) {
  results.cpu_after_before_on = results.rounds.map((r) => r.logOn.cpu_us_per_request / r.beforeOn.cpu_us_per_request);
  results.cpu_after_before_off = results.rounds.map((r) => r.logOff.cpu_us_per_request / r.beforeOff.cpu_us_per_request);
  results.logging_cpu_before = results.rounds.map((r) => r.beforeOn.cpu_us_per_request / r.beforeOff.cpu_us_per_request - 1);
}
if (fastapi) results.ratio_on_fastapi = ratios('logOn', 'fastapi');
const maxOn = med('logOn', 'rps');
// (b) at half its median maximum rate: paced (wrk) when wrk is there, then autocannon's bursts.
if (WRK) {
  results.logOnHalf = await measure('logOn', { rate: maxOn / 2, paced: true });
  results.logOnHalfBursts = await measure('logOn', { rate: maxOn / 2 });
} else {
  results.logOnHalf = await measure('logOn', { rate: maxOn / 2 });
}
results.logged = await on.snapshot();
await on.close();
await off.close();
await onBefore?.close();
await offBefore?.close();
fastapi?.child.kill('SIGTERM');
// Twice the sustainable rate, from 4× the connections, with a small admission limit (autocannon:
// its per-second bursts are fine for an overload); then half the rate again, paced with the think
// time calibrated for (b) above (same rate, same build, logging on; no calibration run between the
// overload and the recovery), then with autocannon's bursts.
if (!QUICK) {
  const over = await startMloop({ maxInflight: CONNECTIONS });
  try {
    results.overload = await load(over.url, { body, headers: auth, connections: CONNECTIONS * 4, rate: maxOn * 2 });
    if (WRK) {
      // As many connections as the admission limit (more could have more requests in flight than it
      // admits whenever arrivals bunch, and get 503s by design): the same rate per connection scaled
      // to 16, shortened by the latency (b)'s calibration measured.
      const nominal = (CONNECTIONS / (maxOn / 2)) * 1000;
      const round2 = (x) => Math.round(x * 100) / 100;
      const pace = { think_ms: round2(Math.max(nominal / 2, nominal - (results.logOnHalf.nominal_think_ms - results.logOnHalf.think_ms))), nominal_think_ms: round2(nominal) };
      results.recovered = await loadPaced(over.url, { body, headers: auth, rate: maxOn / 2, pace, connections: CONNECTIONS });
      results.recoveredBursts = await load(over.url, { body, headers: auth, rate: maxOn / 2 });
    } else {
      results.recovered = await load(over.url, { body, headers: auth, rate: maxOn / 2 });
    }
  } finally {
    await over.close();
  }
}
results.load_after = loadavg();

// Batch scoring rows per second.
if (!QUICK) {
  const many = generateSupportRequests({ count: 100_000, seed: 7 });
  const batchIn = join(parent, 'batch.csv');
  writeFileSync(batchIn, supportRequestsToCsv(many));
  const batch = await setup.serving.predictFile('support@champion', batchIn, join(parent, 'scored.parquet'));
  results.batch = { rows: batch.rows, seconds: batch.seconds, rows_per_second: batch.rowsPerSecond };
}

await setup.close();
bareShared?.close();
await stopBare(bareServer);
rmSync(parent, { recursive: true, force: true });

const m = machine();
console.log(JSON.stringify({ machine: m, results }, null, 2));
const f0 = (x) => Math.round(x);
const f2 = (x) => x.toFixed(2);
const pct = (x) => `${(x * 100).toFixed(0)} %`;
const failed = (r) => r.non2xx + r.errors + r.timeouts;
/** A paced run: offered and achieved rate, latency, failures. */
const pacedLine = (r) =>
  `offered ${f0(r.target_rps)} req/s, achieved ${f0(r.rps)} (${f2(r.rps / r.target_rps)} of it; ${r.connections} connections, mean think time ${r.think_ms} ms, ${r.nominal_think_ms} ms before calibration), p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, max ${r.max_ms} ms, ${failed(r)} failed${r.s503 ? ` (${r.s503} answered 503)` : ''}`;
const BURSTS =
  'autocannon --overallRate: each connection sends its quota for the second back to back, then idles, so this is closed-loop load for part of each second, not an even rate; the only half-rate figure of earlier RESULTS.md entries';
const row = (label, name) =>
  `| ${label} | ${f0(med(name, 'rps'))} | ${f2(med(name, 'rps') / med('bare', 'rps'))} | ${f0(med(name, 'cpu_us_per_request'))} | ${f2(med('bare', 'cpu_us_per_request') / med(name, 'cpu_us_per_request'))} | ${med(name, 'p50_ms')} | ${med(name, 'p99_ms')} | ${results.rounds.reduce((n, r) => n + r[name].non2xx + r[name].errors + r[name].timeouts, 0)} |`;
console.log(`
### Online serving (${m.date.slice(0, 16)}Z, commit ${m.commit}, ${m.cpus}, ${m.memory_gib} GiB, Node ${m.node})
${WRK ? 'wrk (1 thread)' : 'autocannon'} from a second process, one row per request, ${CONNECTIONS} connections (the half-rate runs: ${WRK ? `wrk paced, ${PACED_CONNECTIONS} connections with exponential think times, and autocannon at a fixed rate` : 'autocannon at a fixed rate only, wrk not used'}; the overload run: autocannon); ${ROUNDS} interleaved rounds of ${DURATION} s per target (order rotating${FRESH ? '; the bare and mloop servers started anew for each round' : ''}), medians shown.
Build: ${process.env.MLOOP_DIST ?? 'dist/'}${BEFORE ? `; before: ${process.env.MLOOP_DIST_BEFORE}` : ''}; each mloop server in a process of its own (Node flags: ${current.nodeFlags}${before ? `; before: ${before.nodeFlags}` : ''}), ${LOGGER ? 'log as `mloop server` does (pino at info, to /dev/null)' : 'without a logger'}. Load average before ${results.load_before}, per round ${results.rounds.map((r) => r.load.split(' ')[0]).join(', ')}, after ${results.load_after}.
Model: the demo text model (${rows.length} support requests; TF-IDF word+char n-grams, softmax regression), threshold at precision 0.95.
"CPU µs/req": CPU time (user + system) of the server process, its log worker thread included, per answered request; "CPU vs bare": bare's CPU per request divided by the target's (the share of bare's rate the target would reach if CPU were the only limit).

| target | req/s | vs bare | CPU µs/req | CPU vs bare | p50 ms | p99 ms | failed |
|---|---|---|---|---|---|---|---|
${row('(a) bare Node http, constant (the limit), a process of its own', 'bare')}
${results.rounds[0].bareShared ? `${row('(a′) the same server in the benchmark process (as runs before 2026-11-27 measured (a))', 'bareShared')}\n` : ''}${row('(b) mloop /v1/models/support:predict, logging on', 'logOn')}
${row('(c) mloop, logging off', 'logOff')}
${before ? `${row('(b₀) the MLOOP_DIST_BEFORE build, logging on', 'beforeOn')}\n${row('(c₀) the MLOOP_DIST_BEFORE build, logging off', 'beforeOff')}\n` : ''}${fastapi ? row('(d) FastAPI + uvicorn + sklearn TF-IDF+LinearSVC', 'fastapi') : '| (d) FastAPI peer | not installed | | | | | | |'}

- (b) / (a) per round = ${results.ratio_on_bare.map(f2).join(', ')} (goal ≥ 0.5); (c) / (a) = ${results.ratio_off_bare.map(f2).join(', ')}.
- (b) / (d) per round = ${fastapi ? results.ratio_on_fastapi.map(f2).join(', ') : 'n/a'} (goal ≥ 3).
- Logging cost in req/s, 1 − (b)/(c), per round = ${results.logging_cost.map(pct).join(', ')}; in server CPU per request = ${results.logging_cpu.map(pct).join(', ')} (goal ≤ 10 %).${
  before
    ? `\n- Before/after in the same rounds: CPU per request (b)/(b₀) = ${results.cpu_after_before_on.map(f2).join(', ')}, (c)/(c₀) = ${results.cpu_after_before_off.map(f2).join(', ')}; logging cost in CPU before = ${results.logging_cpu_before.map(pct).join(', ')}.`
    : ''
}
${
  WRK
    ? `- (b) at half its median maximum rate, paced (wrk, exponential think times): ${pacedLine(results.logOnHalf)}; goal p99 ≤ 10 ms.
- (b) at half rate with autocannon's per-second bursts (${BURSTS}): ${f0(maxOn / 2)} req/s offered, ${f0(results.logOnHalfBursts.rps)} req/s, p50 ${results.logOnHalfBursts.p50_ms} ms, p99 ${results.logOnHalfBursts.p99_ms} ms, ${failed(results.logOnHalfBursts)} failed.`
    : `- (b) at half its median maximum rate (${f0(maxOn / 2)} req/s offered; ${BURSTS}; no paced run: wrk ${process.env.BENCH_LOADGEN === 'autocannon' ? 'not used, BENCH_LOADGEN=autocannon' : 'not installed'}): ${f0(results.logOnHalf.rps)} req/s, p50 ${results.logOnHalf.p50_ms} ms, p99 ${results.logOnHalf.p99_ms} ms (goal ≤ 10 ms), ${failed(results.logOnHalf)} failed.`
}
- Prediction log of (b): ${results.logged.written} written, ${results.logged.dropped} dropped.
${
  QUICK
    ? ''
    : `- Twice the sustainable rate (${f0(maxOn * 2)} req/s offered, ${CONNECTIONS * 4} connections, maxInflight ${CONNECTIONS}): ${results.overload.ok} answered 200, ${results.overload.s503} answered 503, ${results.overload.timeouts} timeouts, p50 ${results.overload.p50_ms} ms, p99 ${results.overload.p99_ms} ms (autocannon); then at half rate, ${
        WRK
          ? `paced (${CONNECTIONS} connections, as many as maxInflight; (b)'s latency allowance): ${pacedLine(results.recovered)}; then with autocannon's per-second bursts: ${failed(results.recoveredBursts)} failures, p99 ${results.recoveredBursts.p99_ms} ms.`
          : `autocannon's per-second bursts (no wrk): ${failed(results.recovered)} failures, p99 ${results.recovered.p99_ms} ms.`
      }
- Batch scoring (\`mloop predict\`, CSV → Parquet): ${results.batch.rows} rows in ${results.batch.seconds.toFixed(1)} s = ${f0(results.batch.rows_per_second)} rows/s.`
}
`);
