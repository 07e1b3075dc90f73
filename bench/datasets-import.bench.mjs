// Import of a generated 1,000,000-row, 20-column CSV (mixed numeric, categorical, text): rows/s
// and peak memory of `mloop data import` (DuckDB → Parquet → artifact store → version row),
// beside pandas read_csv on the same file in the same run. Goal: faster than pandas, < 500 MB.
// Usage: node bench/datasets-import.bench.mjs [rows] [rounds]   (needs `npm run build`)
// Rounds alternate mloop and pandas on the same file (default 3) and the table gives every round
// and the medians, because on a shared machine one pair says little. 7500000 rows makes the
// 2.19 GB file of the memory check (one round is enough there: `… 7500000 1`).
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib.mjs';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 3);
if (!Number.isInteger(ROWS) || ROWS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('usage: datasets-import.bench.mjs [rows ≥ 1] [rounds ≥ 1]');
// BENCH_DIST: another build of mloop (such as a build of an older commit) to measure beside pandas.
const DIST = process.env.BENCH_DIST ?? fileURLToPath(new URL('../dist/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mloop-bench-datasets-'));

// A small seeded generator so every run measures the same file.
let state = 12345;
const rnd = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const WORDS = 'the my order card account password delivery refund late broken please help cannot login reset email phone invoice charge twice package arrived damaged screen app update'.split(' ');
const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

async function generate(path) {
  const out = createWriteStream(path);
  const header = ['id', 'age', 'income', 'score', 'balance', 'visits', 'ratio', 'latency_ms', 'items', 'country', 'channel', 'tier', 'device', 'status', 'segment', 'subject', 'body', 'note', 'tags', 'created_at'];
  out.write(`${header.join(',')}\n`);
  let chunk = '';
  for (let i = 0; i < ROWS; i++) {
    const row = [
      i,
      18 + Math.floor(rnd() * 70),
      Math.round(rnd() * 200000) / 1,
      (rnd() * 100).toFixed(3),
      ((rnd() - 0.3) * 10000).toFixed(2),
      Math.floor(rnd() * 50),
      rnd().toFixed(6),
      (rnd() * 900 + 5).toFixed(1),
      Math.floor(rnd() * 12),
      pick(['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'SE', 'PL', 'BR', 'IN', 'JP']),
      pick(['email', 'chat', 'phone', 'web']),
      pick(['free', 'pro', 'enterprise']),
      pick(['ios', 'android', 'desktop', 'tablet']),
      pick(['open', 'pending', 'closed', 'escalated']),
      pick(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']),
      sentence(4),
      `"${sentence(14)}, ${sentence(6)}"`,
      rnd() < 0.2 ? '' : sentence(3),
      `${pick(WORDS)};${pick(WORDS)}`,
      `2026-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}T${10 + Math.floor(rnd() * 13)}:${10 + Math.floor(rnd() * 49)}:00Z`,
    ];
    chunk += `${row.join(',')}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
}

/** Runs a command under /usr/bin/time and returns wall seconds, CPU seconds, peak RSS (MB) and stdout. */
function timed(cmd, args, env = process.env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').at(-1).split(' ');
  return { seconds: Number(last[0]), cpu: Number(last[2]) + Number(last[3]), peakMb: Math.round(Number(last[1]) / 1024), stdout: r.stdout };
}

try {
  const csv = join(dir, 'bench.csv');
  const t0 = Date.now();
  await generate(csv);
  const bytes = statSync(csv).size;
  console.log(`generated ${ROWS} rows × 20 columns, ${(bytes / 2 ** 20).toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const ws = join(dir, 'ws');
  const bin = join(DIST, 'cli', 'bin.js');
  const py = join(dir, 'pandas_read.py');
  writeFileSync(py, 'import sys, pandas as pd\ndf = pd.read_csv(sys.argv[1])\nprint(len(df))\n');
  const rounds = [];
  let imported;
  for (let round = 1; round <= ROUNDS; round++) {
    // A fresh workspace each round, so every round imports (no existing version to return).
    rmSync(ws, { recursive: true, force: true });
    const init = spawnSync(process.execPath, [bin, 'init', ws], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(init.stderr);
    const load = loadavg()[0].toFixed(1);
    const mloop = timed(process.execPath, [bin, '--workspace', ws, 'data', 'import', csv, '--name', 'bench', '--text', 'body', '--id', 'id', '--time', 'created_at', '--json']);
    imported = JSON.parse(mloop.stdout);
    if (imported.row_count !== ROWS) throw new Error(`imported ${imported.row_count} rows, expected ${ROWS}`);
    const pandas = timed('/usr/bin/python3', [py, csv]);
    if (Number(pandas.stdout.trim()) !== ROWS) throw new Error(`pandas read ${pandas.stdout.trim()} rows`);
    rounds.push({ load, mloop, pandas });
    console.error(`round ${round}: mloop ${mloop.seconds} s ${mloop.cpu.toFixed(2)} CPU-s, pandas ${pandas.seconds} s ${pandas.cpu.toFixed(2)} CPU-s (load ${load})`);
  }

  const m = machine();
  const rate = (s) => Math.round(ROWS / s).toLocaleString('en-US');
  const median = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const med = (who, key) => median(rounds.map((r) => r[who][key]));
  const row = (label, r) =>
    `| ${label} | ${r.load} | ${r.mloop.seconds.toFixed(2)} | ${rate(r.mloop.seconds)} | ${r.mloop.cpu.toFixed(2)} | ${r.mloop.peakMb} | ${r.pandas.seconds.toFixed(2)} | ${r.pandas.cpu.toFixed(2)} | ${r.pandas.peakMb} | ${(r.pandas.seconds / r.mloop.seconds).toFixed(2)}× | ${(r.mloop.cpu / r.pandas.cpu).toFixed(2)}× |`;
  const medians = { load: '', mloop: { seconds: med('mloop', 'seconds'), cpu: med('mloop', 'cpu'), peakMb: Math.max(...rounds.map((r) => r.mloop.peakMb)) }, pandas: { seconds: med('pandas', 'seconds'), cpu: med('pandas', 'cpu'), peakMb: Math.max(...rounds.map((r) => r.pandas.peakMb)) } };
  const faster = rounds.filter((r) => r.mloop.seconds < r.pandas.seconds).length;
  const cheaper = rounds.filter((r) => r.mloop.cpu < r.pandas.cpu).length;
  const lines = [
    `### datasets-import (${m.date.slice(0, 16).replace('T', ' ')}, commit ${m.commit})`,
    '',
    `Machine: ${m.cpus}, ${m.memory_gib} GiB, Node ${m.node}. File: ${ROWS.toLocaleString('en-US')} rows × 20 columns (8 numeric, 6 categorical, 4 text, 1 id, 1 timestamp), ${(bytes / 2 ** 20).toFixed(0)} MB CSV.`,
    `mloop: the whole \`mloop data import\` process (hash, type sniffing, Parquet zstd-1, artifact store, version row; DuckDB memory_limit 256MB, 1 engine thread; the sha256 runs beside it on the main thread). pandas: \`read_csv\` into memory, 1 thread. ${ROUNDS} alternated rounds; load = 1-minute load average before the round.`,
    '',
    '| round | load | mloop wall s | mloop rows/s | mloop CPU s | mloop peak MB | pandas wall s | pandas CPU s | pandas peak MB | speed vs pandas | CPU vs pandas |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rounds.map((r, i) => row(String(i + 1), r)),
    ...(ROUNDS > 1 ? [row('median (peak: max)', medians)] : []),
    '',
    `Faster than pandas in ${faster} of ${ROUNDS} rounds, less CPU in ${cheaper} of ${ROUNDS} · goal faster than pandas: ${faster === ROUNDS ? 'met in every round' : 'NOT met in every round'} · goal peak < 500 MB: ${rounds.every((r) => r.mloop.peakMb < 500) ? 'met' : 'NOT met'} · Parquet ${(imported.bytes / 2 ** 20).toFixed(0)} MB.`,
  ];
  console.log(lines.join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
