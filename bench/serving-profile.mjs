// Profiles the predict path: `node bench/serving-profile.mjs [seconds] [--no-log]` trains (once, cached
// in $TMPDIR/mloop-serving-profile) the demo text model the serving benchmark uses, runs
// `mloop server`'s app in a child process under `node --cpu-prof`, loads it with autocannon from a
// third process (wrk when installed), and prints the functions with the most self time (and the req/s seen, which under
// the profiler is lower than without it). THREAD=1 shows the prediction log's writer thread instead.
// Not a benchmark: a tool to find where the time goes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST = process.env.MLOOP_DIST ? pathToFileURL(`${process.env.MLOOP_DIST}/`).href : new URL('../dist/', import.meta.url).href;
const args = process.argv.slice(2);
const role = args[0];

if (role === '--serve') {
  // Child: serve the cached workspace until SIGINT.
  const { openWorkspace } = await import(`${DIST}workspace/index.js`);
  const { buildServer } = await import(`${DIST}server/index.js`);
  const { pino } = await import('pino');
  const ws = await openWorkspace({ workspace: args[1], env: {} });
  // The server computes the dashboard's monitoring reports after `listen`, yielding to requests
  // (longer the bigger the cached workspace's log): the parent loads only once they are done.
  let warmed;
  const warm = new Promise((resolve) => (warmed = resolve));
  const logger = pino({ level: 'info' }, { write: (line) => /monitoring reports|computing the monitoring reports/.test(line) && warmed() });
  const app = await buildServer(ws, { logger, serving: { logPredictions: args[2] !== '--no-log' } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await warm;
  process.stdout.write(`port ${app.server.address().port}\n`);
  // The parent marks the start and end of its load (SIGUSR2); the profile's clock is this monotonic one.
  const marks = [];
  process.on('SIGUSR2', () => marks.push(Number(process.hrtime.bigint() / 1000n)));
  process.on('SIGINT', async () => {
    writeFileSync(join(args[1], '..', 'marks.json'), JSON.stringify(marks));
    await app.close();
    await ws.close();
    process.exit(0);
  });
} else {
  const seconds = Number(args.find((a) => /^\d+$/.test(a)) ?? 8);
  const noLog = args.includes('--no-log');
  const root = join(tmpdir(), 'mloop-serving-profile');
  const dir = join(root, 'ws');
  let token;
  if (!existsSync(join(root, 'token'))) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    const { initWorkspace, openWorkspace } = await import(`${DIST}workspace/index.js`);
    const { generateSupportRequests, supportRequestsToCsv } = await import(`${DIST}demo/index.js`);
    const { trainModel } = await import(`${DIST}training/index.js`);
    const init = await initWorkspace(dir, { env: {} });
    const ws = await openWorkspace({ workspace: dir, env: {} });
    const csv = join(root, 'support.csv');
    const rows = generateSupportRequests({ count: 6000, seed: 42 });
    writeFileSync(csv, supportRequestsToCsv(rows));
    await ws.datasets.importFile({ file: csv, name: 'support', actor: 'bench', roles: { text: ['text'], label: ['intent'] } });
    const t = await trainModel({ datasets: ws.datasets, registry: ws.registry }, { dataset: 'support@1', name: 'support', targetPrecision: 0.95, actor: 'bench', seed: 42 });
    await ws.registry.setAlias('bench', 'support', 'champion', t.version.version, 'bench');
    await ws.serving.deploy('bench', 'support@champion');
    await ws.close();
    writeFileSync(join(root, 'body.json'), JSON.stringify({ instances: [{ text: rows[17].text }] }));
    writeFileSync(join(root, 'token'), init.admin.token);
  }
  token = readFileSync(join(root, 'token'), 'utf8');
  const profDir = join(root, 'prof');
  rmSync(profDir, { recursive: true, force: true });
  // With the Node flags `mloop server` starts with (bench/lib.mjs serverNodeFlags).
  const { serverNodeFlags } = await import('./lib.mjs');
  const child = spawn(process.execPath, [...(await serverNodeFlags(DIST)), '--cpu-prof', `--cpu-prof-dir=${profDir}`, fileURLToPath(import.meta.url), '--serve', dir, noLog ? '--no-log' : ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.on('data', (d) => /port (\d+)/.test(String(d)) && resolve(Number(/port (\d+)/.exec(String(d))[1]))));
  // The child prints its port once the dashboard's start-up reports are done; wait until
  // predictions answer quickly too before profiling.
  const url = `http://127.0.0.1:${port}/v1/models/support:predict`;
  const body = readFileSync(join(root, 'body.json'), 'utf8');
  for (let fast = 0, deadline = Date.now() + 120_000; fast < 3 && Date.now() < deadline; ) {
    const t0 = performance.now();
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body }).then((r) => r.arrayBuffer());
    fast = performance.now() - t0 < 20 ? fast + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  const autocannon = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));
  child.kill('SIGUSR2');
  // wrk when installed (it costs the shared core far less than autocannon, so the server, not the
  // load generator, sets the pace); BENCH_LOADGEN=autocannon or no wrk: autocannon.
  const wrk = process.env.BENCH_LOADGEN === 'autocannon' ? undefined : ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
  const out = await new Promise((resolve) => {
    const url = `http://127.0.0.1:${port}/v1/models/support:predict`;
    if (wrk) {
      const lua = join(root, 'post.lua');
      writeFileSync(lua, `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.headers["authorization"] = "Bearer ${token}"\nlocal f = io.open("${join(root, 'body.json')}", "rb"); wrk.body = f:read("*a"); f:close()\ndone = function(s) io.write(string.format("WRKJSON %d %d %d\\n", s.requests, s.duration, s.errors.status)) end\n`);
      const a = spawn(wrk, ['-t1', '-c16', `-d${seconds}s`, '-s', lua, url], { stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      a.stdout.on('data', (d) => (s += d));
      a.on('close', () => {
        const m = /WRKJSON (\d+) (\d+) (\d+)/.exec(s);
        resolve({ requests: { average: Number(m[1]) / (Number(m[2]) / 1e6) }, non2xx: Number(m[3]) });
      });
      return;
    }
    const a = spawn(process.execPath, [autocannon, '-j', '-c', '16', '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-H', `authorization=Bearer ${token}`, '-b', readFileSync(join(root, 'body.json'), 'utf8'), url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    a.stdout.on('data', (d) => (s += d));
    a.on('close', () => resolve(JSON.parse(s)));
  });
  child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  await new Promise((r) => child.on('close', r));
  console.log(`req/s under the profiler: ${Math.round(out.requests.average)}, non-2xx ${out.non2xx}`);
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the serving thread, 1 the log writer (THREAD=1).
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile') && f.split('.')[4] === (process.env.THREAD ?? '0'));
  const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const f = n.callFrame;
    return `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/)?/, '')}:${f.lineNumber + 1}`;
  };
  // Only the load window (between the two marks), less half a second at each end.
  const times = [];
  let t = prof.startTime;
  for (const d of prof.timeDeltas) times.push((t += d));
  const [markFrom, markTo] = JSON.parse(readFileSync(join(root, 'marks.json'), 'utf8'));
  const from = markFrom + 0.5e6;
  const to = markTo - 0.5e6;
  const self = new Map();
  const incl = new Map();
  let total = 0;
  prof.samples.forEach((id, i) => {
    if (times[i] < from || times[i] > to) return;
    const d = prof.timeDeltas[i + 1] ?? 0;
    total += d;
    const k = keyOf(byId.get(id));
    self.set(k, (self.get(k) ?? 0) + d);
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const key = keyOf(byId.get(n));
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + d);
    }
  });
  const show = (m, title) => {
    console.log(title);
    for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 40))) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  };
  show(self, '## self time');
  show(incl, '## inclusive time');
  console.log(`profile: ${join(profDir, file)}`);
}
