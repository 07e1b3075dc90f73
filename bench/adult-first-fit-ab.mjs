#!/usr/bin/env node
// A/B of a fresh process's first GBDT fit on Adult: two compiled library folders, alternated, order
// swapped every pair, each fit in its own fresh Node process (what `mloop train` does).
// Prints per-pair CPU and wall of the fit, medians, pairs favouring each side, and checks the
// models are identical (SHA-256 of toJSON() with report.seconds zeroed, and of the test set's
// calibrated probabilities).
// Usage: node bench/adult-first-fit-ab.mjs --base /tmp/base-dist/training/tabular --cand dist/training/tabular [--pairs 10] [--seed 0]
//        node bench/adult-first-fit-ab.mjs --child <lib folder> [--seed 0]   (one fit, one JSON line)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { FEATURES, readAdultCsv } from './adult-data.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const DATA = process.env.ADULT_DIR ?? '/work/shared/datasets/adult';


const sha = (s) => createHash('sha256').update(s).digest('hex').slice(0, 12);

if (args.includes('--child')) {
  const lib = resolve(opt('--child'));
  const seed = Number(opt('--seed', '0'));
  const { trainGbdt, rocAuc, accuracy } = await import(pathToFileURL(join(lib, 'index.js')).href);
  const train = readAdultCsv(join(DATA, 'adult_train.csv'));
  const test = readAdultCsv(join(DATA, 'adult_test.csv'));
  const features = FEATURES;
  // --warm k: k fits before the measured one (to compare a warm fit); default 0, the first fit
  for (let k = Number(opt('--warm', '0')); k > 0; k--) await trainGbdt({ columns: train.columns }, 'income', { task: 'classification', features, seed });
  const h0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const model = await trainGbdt({ columns: train.columns }, 'income', { task: 'classification', features, seed });
  const wall = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const h1 = process.hrtime.bigint();
  const json = model.toJSON();
  json.report.seconds = 0;
  const p = model.predictProba(test).map((r) => r[1]);
  const y = test.columns.income.map((v) => (v === '>50K' ? 1 : 0));
  console.log(
    JSON.stringify({
      cpu: (cu.user + cu.system) / 1e6,
      wall,
      rounds: model.report.rounds,
      accuracy: accuracy(p.map((q) => (q >= 0.5 ? 1 : 0)), y),
      auc: rocAuc(p, y),
      model: sha(JSON.stringify(json)),
      proba: sha(Buffer.from(Float64Array.from(p).buffer)),
      // the fit's window on the monotonic clock (µs), to cut a --cpu-prof profile to the fit
      fitWindowUs: [Number(h0 / 1000n), Number(h1 / 1000n)],
      // and on performance.now() (ms), to match --trace-gc times (ms since the isolate started)
      fitWindowMs: [t0, t0 + wall * 1000],
    }),
  );
  process.exit(0);
}

const base = resolve(opt('--base'));
const cand = resolve(opt('--cand'));
const pairs = Number(opt('--pairs', '10'));
const seed = opt('--seed', '0');
const self = fileURLToPath(import.meta.url);
const run = (lib) => JSON.parse(execFileSync(process.execPath, [self, '--child', lib, '--seed', seed], { encoding: 'utf8' }).trim().split('\n').pop());
const med = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const out = { base: [], cand: [] };
const load0 = loadavg()[0];
for (let i = 0; i < pairs; i++) {
  const order = i % 2 === 0 ? ['base', 'cand'] : ['cand', 'base'];
  for (const side of order) out[side].push(run(side === 'base' ? base : cand));
  const b = out.base[i];
  const c = out.cand[i];
  console.log(`pair ${i + 1}: base ${b.cpu.toFixed(3)} CPU-s ${b.wall.toFixed(3)} s | cand ${c.cpu.toFixed(3)} CPU-s ${c.wall.toFixed(3)} s | load ${loadavg()[0].toFixed(1)}`);
}
const fav = out.cand.filter((c, i) => c.cpu < out.base[i].cpu).length;
const diffs = out.cand.map((c, i) => c.cpu - out.base[i].cpu);
const same = out.cand.every((c, i) => c.model === out.base[i].model && c.proba === out.base[i].proba);
console.log(
  JSON.stringify({
    pairs,
    loadBefore: load0,
    loadAfter: loadavg()[0],
    baseCpuMedian: med(out.base.map((r) => r.cpu)),
    candCpuMedian: med(out.cand.map((r) => r.cpu)),
    baseWallMedian: med(out.base.map((r) => r.wall)),
    candWallMedian: med(out.cand.map((r) => r.wall)),
    medianPairedCpuDiff: med(diffs),
    candLowerCpuPairs: fav,
    modelsIdentical: same,
    base: { model: out.base[0].model, proba: out.base[0].proba, rounds: out.base[0].rounds, accuracy: out.base[0].accuracy, auc: out.base[0].auc },
    cand: { model: out.cand[0].model, proba: out.cand[0].proba, rounds: out.cand[0].rounds, accuracy: out.cand[0].accuracy, auc: out.cand[0].auc },
  }),
);
