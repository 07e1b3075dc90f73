// CPU per request of `mloop server`'s predict route, thread by thread: `node bench/serving-threads.mjs [--no-log] [--both]`
// serves the workspace bench/serving-profile.mjs caches in $TMPDIR/mloop-serving-profile (make it
// once with `node bench/serving-profile.mjs 5`) from a child process, loads POST
// /v1/models/support:predict with wrk (one thread, 16 connections, D seconds per round, default 6)
// and prints, per round, req/s and the CPU µs per request (user+sys, from /proc/<pid>/task) of the
// main (serving) thread, of the busiest other thread (the prediction log's writer when the log is
// on) and of the rest (V8 helpers, libuv); then the medians. Linux, wrk on PATH.
// --no-log serves with the prediction log off; --both serves it on and off (two servers).
// MLOOP_DIST=<dir> serves another build than ../dist; MLOOP_DIST_BEFORE=<dir> adds servers of a
// second build, and every round loads each server in turn (alternated order), so builds and modes are
// compared in the same minutes of a shared machine. Both builds then serve fresh copies of
// `ws-before` beside `ws`, a workspace made by the older build (a build cannot open a database a
// newer build migrated; the newer one migrates its copy): make it once with
// `MLOOP_DIST=<dir> node bench/serving-profile.mjs 1 && cp -a $TMPDIR/mloop-serving-profile/ws{,-before}`
// before the newer build opens `ws`. Every run starts both from the same rows (the log's size
// changes its insert cost: two copies that had taken different loads biased earlier comparisons).
// ROUNDS (default 3). FRESH=1 starts every server anew for each round (and stops it after): on
// this shared host one process of the same build and mode can use up to twice the CPU per request
// of another for its whole life, so with long-lived servers a run compares processes as much as
// modes; fresh ones sample that spread instead (bench/RESULTS.md, session 10).
// Each round also prints the machine's idle share (/proc/stat) and wrk's own CPU per request: with
// the load generator on the same 2 vCPUs, a server thread that is not busy all the time is waiting
// for wrk, and another thread's CPU costs req/s by delaying wrk (bench/RESULTS.md, session 8).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serverNodeFlags } from './lib.mjs';

const root = join(tmpdir(), 'mloop-serving-profile');
if (process.env.MLOOP_DIST_BEFORE && !existsSync(join(root, 'ws-before'))) {
  console.error(`MLOOP_DIST_BEFORE needs ${join(root, 'ws-before')}: a copy of the workspace made with that build (see the header of this file)`);
  process.exit(2);
}
const token = readFileSync(join(root, 'token'), 'utf8');
const profile = new URL('./serving-profile.mjs', import.meta.url).pathname;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const D = Number(process.env.D ?? 6);
const modes = process.argv.includes('--both') ? [true, false] : [!process.argv.includes('--no-log')];
const builds = [{ name: 'after', dist: process.env.MLOOP_DIST ?? '' }];
if (process.env.MLOOP_DIST_BEFORE) builds.unshift({ name: 'before', dist: process.env.MLOOP_DIST_BEFORE });
const work = mkdtempSync(join(tmpdir(), 'mloop-bench-threads-'));
/** The workspace each build serves: `ws`, or with two builds a fresh copy of `ws-before` each. */
const workspaces = new Map();
for (const b of builds) {
  if (!process.env.MLOOP_DIST_BEFORE) workspaces.set(b.name, join(root, 'ws'));
  else {
    const copy = join(work, `ws-${b.name}`);
    cpSync(join(root, 'ws-before'), copy, { recursive: true });
    workspaces.set(b.name, copy);
  }
}
const lua = join(work, 'post.lua');
writeFileSync(
  lua,
  `wrk.method="POST"\nwrk.headers["content-type"]="application/json"\nwrk.headers["authorization"]="Bearer ${token}"\nlocal f=io.open("${root}/body.json","rb"); wrk.body=f:read("*a"); f:close()\n`,
);

/** Starts a server of `dist` and resolves with its child process and predict URL. */
async function serve(name, dist, log) {
  // With the Node flags `mloop server` of that build starts with.
  const flags = await serverNodeFlags(dist || new URL('../dist/', import.meta.url).href);
  const child = spawn(process.execPath, [...flags, profile, '--serve', workspaces.get(name), log ? '' : '--no-log'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MLOOP_DIST: dist },
  });
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => /port (\d+)/.test(String(d)) && resolve(Number(/port (\d+)/.exec(String(d))[1])));
    child.on('exit', (code) => reject(new Error(`server exited with code ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/v1/models/support:predict` };
}

/** CPU ticks (user, system) of each thread of `pid`. */
function threads(pid) {
  const m = new Map();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const s = f.slice(f.lastIndexOf(')') + 2).split(' ');
      m.set(t, { u: Number(s[11]), s: Number(s[12]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return m;
}

/** The machine's CPU ticks since boot, by kind (the first line of /proc/stat). */
function machineTicks() {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
}

/** Runs wrk through a shell that then prints its own /proc stat line, whose cutime/cstime are wrk's CPU ticks. */
function wrk(url, seconds) {
  const r = spawnSync('bash', ['-c', `wrk -t1 -c16 -d${seconds}s -s '${lua}' '${url}' && cat /proc/$$/stat`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.error}`);
  const stat = r.stdout.trim().split('\n').at(-1);
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = Number(/(\d+) requests in/.exec(r.stdout)[1]);
  return { n, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)[1]), wrkTicks: Number(f[13]) + Number(f[14]) };
}

const FRESH = process.env.FRESH === '1';
/** Stops a server and waits for it (it closes its workspace on SIGINT). */
const stop = (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGINT'))));
const subjects = [];
for (const b of builds) for (const log of modes) subjects.push({ ...b, log, ...(FRESH ? {} : await serve(b.name, b.dist, log)), rows: [] });
if (!FRESH) for (const s of subjects) wrk(s.url, 3); // warm-up

const tick = 1e6 / 100; // µs per clock tick (USER_HZ 100)
for (let r = 0; r < ROUNDS; r++) {
  for (const s of r % 2 ? [...subjects].reverse() : subjects) {
    if (FRESH) {
      Object.assign(s, await serve(s.name, s.dist, s.log));
      wrk(s.url, 3); // warm-up
    }
    const before = threads(s.child.pid);
    const m0 = machineTicks();
    const { n, rps, wrkTicks } = wrk(s.url, D);
    const m1 = machineTicks();
    const after = threads(s.child.pid);
    const dm = m1.map((x, i) => x - m0[i]);
    const idle = (100 * (dm[3] + dm[4])) / dm.reduce((a, b) => a + b, 0);
    const wrkUs = (wrkTicks * tick) / n;
    let main = { u: 0, s: 0 };
    const others = [];
    for (const [t, v] of after) {
      const p = before.get(t) ?? { u: 0, s: 0 };
      const d = { u: ((v.u - p.u) * tick) / n, s: ((v.s - p.s) * tick) / n };
      if (t === String(s.child.pid)) main = d;
      else others.push(d);
    }
    others.sort((a, b) => b.u + b.s - (a.u + a.s));
    const top = others[0] ?? { u: 0, s: 0 };
    const rest = others.slice(1).reduce((a, d) => ({ u: a.u + d.u, s: a.s + d.s }), { u: 0, s: 0 });
    const row = { rps, main: main.u + main.s, top: top.u + top.s, rest: rest.u + rest.s, idle, wrk: wrkUs };
    s.rows.push(row);
    const f = (d) => `${d.u.toFixed(0)}+${d.s.toFixed(0)}`;
    if (FRESH) await stop(s.child);
    console.log(
      `${s.name} log ${s.log ? 'on ' : 'off'}: ${rps.toFixed(0)} req/s | main ${f(main)} | busiest other ${f(top)} | rest ${f(rest)} µs/req (user+sys) | wrk ${wrkUs.toFixed(1)} µs/req | machine idle ${idle.toFixed(0)} %`,
    );
  }
}
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
console.log(
  `\nmedians of ${ROUNDS} rounds of ${D} s${FRESH ? ', every server started anew for each round' : ''}\n| build | log | req/s | main µs/req | busiest other | rest | wrk µs/req | machine idle % |\n|---|---|---|---|---|---|---|---|`,
);
for (const s of subjects) {
  const m = (k) => median(s.rows.map((r) => r[k]));
  console.log(
    `| ${s.name} | ${s.log ? 'on' : 'off'} | ${m('rps').toFixed(0)} | ${m('main').toFixed(1)} | ${m('top').toFixed(1)} | ${m('rest').toFixed(1)} | ${m('wrk').toFixed(1)} | ${m('idle').toFixed(0)} |`,
  );
}
// The servers close their workspaces on SIGINT: wait for them before removing the copies they serve.
await Promise.all(subjects.map((s) => stop(s.child)));
rmSync(work, { recursive: true, force: true });
