// Two builds' predict route side by side, each server in a process of its own, CPU read from
// /proc/<pid>/stat (all its threads: the log writer included) around each wrk run, runs alternated:
// `A=<dist> B=<dist> node bench/serving-ab.mjs`. The servers log as `mloop server` does (pino at
// info to /dev/null). LOG=on|off|both (default both), ROUNDS (6), D seconds per run (4), C wrk
// connections (16). One workspace (the demo text model, as serving-http.bench.mjs trains it) is
// trained by B's build and copied per server. Unlike serving-breakdown.mjs, no server
// shares a process with another (a neighbour's background work is not counted), so it is the tool
// for before/after comparisons under other work's load.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serverNodeFlags } from './lib.mjs';

const self = fileURLToPath(import.meta.url);
if (process.argv[2] === '--serve') {
  const [, , , dist, dir, log] = process.argv;
  const D = pathToFileURL(`${dist}/`).href;
  const { openWorkspace } = await import(`${D}workspace/index.js`);
  const { buildServer } = await import(`${D}server/index.js`);
  const { pino } = await import('pino');
  const ws = await openWorkspace({ workspace: dir, env: {} });
  const logger = pino({ level: 'info', base: { service: 'mloop' }, timestamp: pino.stdTimeFunctions.isoTime, redact: ['req.headers.authorization', 'headers.authorization'] }, pino.destination({ dest: '/dev/null', sync: false }));
  const app = await buildServer(ws, { logger, serving: { logPredictions: log === 'on' } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => setTimeout(r, 2000));
  process.stdout.write(`port ${app.server.address().port}\n`);
  process.on('SIGTERM', async () => {
    await app.close();
    await ws.close();
    process.exit(0);
  });
} else {
  const parent = mkdtempSync(join(tmpdir(), 'mloop-bench-ab-'));
  // One workspace trained by B's build (the older schema: A's build migrates its copies forward).
  const B = pathToFileURL(`${process.env.B}/`).href;
  const { initWorkspace, openWorkspace } = await import(`${B}workspace/index.js`);
  const { generateSupportRequests, supportRequestsToCsv } = await import(`${B}demo/index.js`);
  const { trainModel } = await import(`${B}training/index.js`);
  const rows = generateSupportRequests({ count: 6000, seed: 42 });
  const csv = join(parent, 'support.csv');
  writeFileSync(csv, supportRequestsToCsv(rows));
  const trained = join(parent, 'ws');
  const init = await initWorkspace(trained, { env: {} });
  {
    const ws = await openWorkspace({ workspace: trained, env: {} });
    await ws.datasets.importFile({ file: csv, name: 'support', actor: 'bench', roles: { text: ['text'], label: ['intent'] } });
    const t = await trainModel({ datasets: ws.datasets, registry: ws.registry }, { dataset: 'support@1', name: 'support', targetPrecision: 0.95, actor: 'bench', seed: 42 });
    await ws.registry.setAlias('bench', 'support', 'champion', t.version.version, 'bench');
    await ws.serving.deploy('bench', 'support@champion');
    await ws.close();
  }
  const token = init.admin.token;
  const bodyFile = join(parent, 'body.json');
  writeFileSync(bodyFile, JSON.stringify({ instances: [{ text: rows[17].text }] }));
  const lua = join(parent, 'post.lua');
  writeFileSync(lua, `wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer ${token}"
local f = io.open("${bodyFile}", "rb"); wrk.body = f:read("*a"); f:close()
done = function(s, l, r) io.write(string.format('WRKJSON %d %d %d %d\\n', s.requests, s.duration, s.errors.status, l:percentile(99))) end
`);
  const modes = (process.env.LOG ?? 'both') === 'both' ? ['on', 'off'] : [process.env.LOG];
  const builds = { A: process.env.A, B: process.env.B };
  const servers = [];
  for (const [name, dist] of Object.entries(builds)) {
    for (const log of modes) {
      const dir = join(parent, `${name}-${log}`);
      cpSync(trained, dir, { recursive: true });
      // With the Node flags `mloop server` of that build starts with.
      const child = spawn(process.execPath, [...(await serverNodeFlags(dist)), self, '--serve', dist, dir, log], { stdio: ['ignore', 'pipe', 'inherit'] });
      const port = await new Promise((resolve) => child.stdout.on('data', (d) => /port (\d+)/.test(String(d)) && resolve(Number(/port (\d+)/.exec(String(d))[1]))));
      servers.push({ key: `${name} log ${log}`, child, url: `http://127.0.0.1:${port}/v1/models/support:predict`, us: [], rps: [] });
    }
  }
  const cpu = (pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000; // µs (clock ticks of 10 ms)
  };
  const wrk = (url, d) =>
    new Promise((res) => {
      const c = spawn('/usr/bin/wrk', ['-t1', `-c${process.env.C ?? 16}`, `-d${d}s`, '-s', lua, url]);
      let o = '';
      c.stdout.on('data', (x) => (o += x));
      c.on('close', () => {
        const m = /WRKJSON (\d+) (\d+) (\d+) (\d+)/.exec(o);
        res({ n: +m[1], rps: +m[1] / (+m[2] / 1e6), bad: +m[3] });
      });
    });
  for (const s of servers) await wrk(s.url, 2);
  const R = Number(process.env.ROUNDS ?? 6);
  const D = Number(process.env.D ?? 4);
  const loads = [];
  for (let r = 0; r < R; r++) {
    const order = r % 2 ? [...servers].reverse() : servers;
    for (const s of order) {
      const c0 = cpu(s.child.pid);
      const w = await wrk(s.url, D);
      // The log's last batch: give the writer its flush interval before reading the CPU.
      await new Promise((t) => setTimeout(t, 300));
      s.us.push((cpu(s.child.pid) - c0) / w.n);
      s.rps.push(w.rps);
      if (w.bad > 0) console.log(`${s.key}: ${w.bad} non-2xx`);
    }
    loads.push(loadavg()[0].toFixed(1));
  }
  const med = (xs) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  console.log(`${R} alternated rounds of ${D} s per server, wrk -c${process.env.C ?? 16}; load per round ${loads.join(', ')}; A=${builds.A} B=${builds.B}`);
  console.log('| server | CPU µs/req (median) | rounds | req/s (median) |');
  console.log('|---|---|---|---|');
  for (const s of servers) console.log(`| ${s.key} | ${med(s.us).toFixed(1)} | ${s.us.map((x) => x.toFixed(0)).join(' ')} | ${med(s.rps).toFixed(0)} |`);
  for (const log of modes) {
    const a = servers.find((s) => s.key === `A log ${log}`);
    const b = servers.find((s) => s.key === `B log ${log}`);
    const ratios = a.us.map((x, i) => x / b.us[i]);
    console.log(`log ${log}: A/B CPU per request, median of per-round ratios ${med(ratios).toFixed(3)}; A lower in ${ratios.filter((x) => x < 1).length} of ${R}`);
  }
  if (modes.length === 2) {
    for (const name of ['A', 'B']) {
      const on = servers.find((s) => s.key === `${name} log on`);
      const off = servers.find((s) => s.key === `${name} log off`);
      console.log(`${name}: the log costs ${(med(on.us) - med(off.us)).toFixed(1)} µs per request (${(100 * (1 - med(off.us) / med(on.us))).toFixed(0)} % of the logged request's CPU)`);
    }
  }
  for (const s of servers) s.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(parent, { recursive: true, force: true });
}
