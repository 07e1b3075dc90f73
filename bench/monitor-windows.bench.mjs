#!/usr/bin/env node
// Monitoring many windows of a prediction log: `ws.monitoring.report` over N logged predictions
// (count windows) against the training data, beside a scipy peer that reads the same SQLite log
// and runs ks_2samp / chi2_contingency per feature per window (the same tests, no calibration).
//
//   npx tsc -p tsconfig.build.json && node bench/monitor-windows.bench.mjs [predictions=200000] [window=2000]
//   MONITOR_DIST=/tmp/x/dist node bench/monitor-windows.bench.mjs   # a private build (needs node_modules beside it)
//
// Needs /usr/bin/python3 with scipy.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { machine } from './lib.mjs';

const DIST = process.env.MONITOR_DIST ?? new URL('../dist', import.meta.url).pathname;
const { initWorkspace, openWorkspace } = await import(path.join(DIST, 'workspace/index.js'));
const { trainModel } = await import(path.join(DIST, 'training/index.js'));

const N = Number(process.argv[2] ?? 200_000);
const WINDOW = Number(process.argv[3] ?? 2000);
const REF_ROWS = 20_000;
const NUM = ['x0', 'x1', 'x2', 'x3', 'x4'];
const CAT = ['c0', 'c1', 'c2']; // c2 is boolean: a numeric input of the model (KS in mloop), chi-square in the peer
const REGIONS = ['north', 'south', 'east', 'west'];

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gauss = (r) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/** One row; `shift` moves x0 and the share of c0 = 'a' (drift in the second half of the log). */
function row(r, shift) {
  const o = {};
  for (const [i, n] of NUM.entries()) o[n] = Number((gauss(r) + (i === 0 ? shift : 0)).toFixed(4));
  o.c0 = r() < 0.4 + shift / 4 ? 'a' : r() < 0.5 ? 'b' : 'c';
  o.c1 = `k${Math.floor(r() * 12)}`;
  o.c2 = r() < 0.5; // boolean: a numeric input of the model, sent as true/false
  o.region = REGIONS[Math.floor(r() * 4)];
  return o;
}

const log = (...a) => console.error(...a);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-monitor-bench-'));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('MLOOP_')) delete env[k];
  await initWorkspace(dir, { env });
  const ws = await openWorkspace({ workspace: dir, env });
  try {
    const r = rng(1);
    const ref = Array.from({ length: REF_ROWS }, () => row(r, 0));
    for (const x of ref) x.y = 1 / (1 + Math.exp(-(x.x0 + 0.5 * x.x1 - (x.c0 === 'a' ? 0.5 : 0)))) > r() ? 'yes' : 'no';
    const cols = [...NUM, ...CAT, 'region', 'y'];
    const csv = path.join(dir, 'ref.csv');
    fs.writeFileSync(csv, [cols.join(','), ...ref.map((x) => cols.map((c) => x[c]).join(','))].join('\n') + '\n');
    await ws.datasets.importFile({ file: csv, name: 'ref', actor: 'bench', roles: { label: ['y'], sensitive: ['region'] } });
    const trained = await trainModel({ datasets: ws.datasets, registry: ws.registry }, { dataset: 'ref@1', name: 'm', actor: 'bench', seed: 1 });
    const version = trained.version;
    log(`trained ${version.ref} on ${REF_ROWS} rows; logging ${N} predictions`);
    const t0 = performance.now();
    const BATCH = 5000;
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < N; i += BATCH) {
      const records = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) {
        const x = row(r, j >= N / 2 ? 0.3 : 0);
        const { region, ...inputs } = x;
        const conf = 0.5 + 0.5 * r();
        records.push({
          id: `prd_${String(j).padStart(9, '0')}`,
          at: new Date(start + j * 1000).toISOString(),
          deployment: 'm',
          model: 'm',
          version: version.version,
          role: 'primary',
          primaryId: null,
          requestId: null,
          inputs,
          outputs: {},
          label: conf > 0.75 ? 'yes' : 'no',
          confidence: conf,
          decision: conf > 0.8 ? 'auto' : 'review',
          latencyMs: 1,
          redacted: false,
          groups: { region },
        });
      }
      await ws.serving.store.insertPredictions(records);
    }
    log(`logged in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // reading alone: the same pages the report reads
    const s0 = performance.now();
    let after;
    let scanned = 0;
    for (;;) {
      const page = await ws.monitoring.store.scanPredictions({ model: 'm', limit: 1000, ...(after ? { after } : {}) });
      scanned += page.length;
      if (page.length < 1000) break;
      after = { at: page.at(-1).at, id: page.at(-1).id };
    }
    const readMs = performance.now() - s0;
    const rssBefore = process.resourceUsage().maxRSS / 1024;
    const m0 = performance.now();
    const report = await ws.monitoring.report({ model: 'm', window: String(WINDOW) });
    const ms = performance.now() - m0;
    const drifted = report.windows.map((w) => w.dataset_drift?.drifted ?? 0);
    const firstHalf = drifted.slice(0, report.windows.length / 2);
    const secondHalf = drifted.slice(report.windows.length / 2);
    const mloop = {
      windows: report.windows.length,
      ms,
      per_window_ms: ms / report.windows.length,
      read_ms: readMs,
      scanned,
      rows_per_s: N / (ms / 1000),
      rss_mb: process.resourceUsage().maxRSS / 1024,
      rss_before_mb: rssBefore,
      alarms_first_half: firstHalf.filter((d) => d > 0).length,
      alarms_second_half: secondHalf.filter((d) => d > 0).length,
      bias_windows: report.windows.filter((w) => w.fairness?.attributes.length).length,
    };
    log(`mloop: ${mloop.windows} windows in ${ms.toFixed(0)} ms (reading the log alone ${readMs.toFixed(0)} ms; ${mloop.per_window_ms.toFixed(1)} ms/window, ${Math.round(mloop.rows_per_s)} rows/s), peak RSS ${mloop.rss_mb.toFixed(0)} MB; windows with an alarm: ${mloop.alarms_first_half}/${firstHalf.length} before the shift, ${mloop.alarms_second_half}/${secondHalf.length} after`);

    const py = spawnSync('/usr/bin/python3', ['-c', PEER, path.join(dir, '.mloop', 'mloop.db'), csv, String(WINDOW), NUM.join(','), CAT.join(',')], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (py.status !== 0) throw new Error(py.stderr);
    const peer = JSON.parse(py.stdout);
    log(`scipy: ${peer.windows} windows in ${peer.ms.toFixed(0)} ms (read ${peer.read_ms.toFixed(0)} ms, tests ${peer.tests_ms.toFixed(0)} ms), peak RSS ${peer.rss_mb.toFixed(0)} MB; windows with p < 0.01 in some feature: ${peer.flagged_first_half}/${peer.windows / 2} before, ${peer.flagged_second_half}/${peer.windows / 2} after`);
    log(`ratio mloop / scipy (total): ${(ms / peer.ms).toFixed(2)}`);
    console.log(JSON.stringify({ machine: machine(), load: os.loadavg(), predictions: N, window: WINDOW, mloop, scipy: peer }, null, 2));
  } finally {
    await ws.close?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// The peer: read the log from SQLite in (at, id) order, cut windows of the same size, and per
// window run ks_2samp (numeric) and chi2_contingency (categorical) against the reference CSV.
const PEER = String.raw`
import json, sqlite3, sys, time, resource
import numpy as np
from scipy.stats import ks_2samp, chi2_contingency
db, csv, window, num, cat = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(','), sys.argv[5].split(',')
import csv as csvmod
with open(csv) as f:
    rows = list(csvmod.DictReader(f))
ref_num = {c: np.array([float(r[c]) for r in rows]) for c in num}
from collections import Counter
norm = lambda v: str(v).lower()
ref_cat = {c: Counter(norm(r[c]) for r in rows) for c in cat}
t0 = time.perf_counter()
con = sqlite3.connect(db)
cur = con.execute("SELECT inputs_json FROM predictions WHERE model = 'm' AND role != 'shadow' ORDER BY at, id")
inputs = [json.loads(r[0]) for r in cur]
t1 = time.perf_counter()
flags = []
for s in range(0, len(inputs), window):
    w = inputs[s:s + window]
    flagged = False
    for c in num:
        if ks_2samp(ref_num[c], np.array([x[c] for x in w])).pvalue < 0.01: flagged = True
    for c in cat:
        wc = Counter(norm(x[c]) for x in w)
        cats = sorted(set(ref_cat[c]) | set(wc))
        table = np.array([[ref_cat[c][k] for k in cats], [wc[k] for k in cats]])
        table = table[:, table.sum(axis=0) > 0]
        if chi2_contingency(table)[1] < 0.01: flagged = True
    flags.append(flagged)
t2 = time.perf_counter()
half = len(flags) // 2
print(json.dumps({"windows": len(flags), "ms": (t2 - t0) * 1000, "read_ms": (t1 - t0) * 1000, "tests_ms": (t2 - t1) * 1000,
  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "flagged_first_half": sum(flags[:half]), "flagged_second_half": sum(flags[half:])}))
`;

await main();
