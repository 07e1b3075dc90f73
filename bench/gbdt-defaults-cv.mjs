#!/usr/bin/env node
// Repeated K-fold cross-validation of GBDT option sets on TRAIN splits only (never the test split),
// to decide whether trainGbdt's defaults should change (issue 4, Adult accuracy). Started from the
// lead's /tmp/adult-cv.mjs. Per candidate and fold: accuracy, log loss, AUC (binary; macro
// one-vs-rest for multiclass), CPU seconds of the fit; then the paired per-fold differences vs
// `default` (mean, sd, and how many folds the candidate is not worse).
//
//   node bench/gbdt-defaults-cv.mjs --data adult|breast_cancer|wine|digits [--fold-seeds 1,2,3] [--k 5]
//        [--only default,onehot] [--out file.json] [--extra '{"name": {options}}']
//   node bench/gbdt-defaults-cv.mjs --data adult --merge a.json,b.json   (summarise --out files together)
// Adult: /work/shared/datasets/adult/adult_train.csv. The sklearn tables: the TRAIN part that
// bench/train-cli-peers.py exports (stratified 70/30, seed 0), as bench/train-cli.bench.mjs uses.
// Model seed 0 throughout. Env MLOOP_DIST: compiled mloop (default ../dist).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FEATURES, readAdultCsv } from './adult-data.mjs';

const args = process.argv.slice(2);
const value = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const data = value('--data', 'adult');
const foldSeeds = value('--fold-seeds', '1,2,3').split(',').map(Number);
const K = Number(value('--k', '5'));
const only = value('--only', undefined)?.split(',');
const out = value('--out', undefined);
const merge = value('--merge', undefined)?.split(',');
const DIST = process.env.MLOOP_DIST ?? fileURLToPath(new URL('../dist', import.meta.url));
const { trainGbdt, rocAuc, accuracy } = await import(pathToFileURL(join(DIST, 'training', 'tabular', 'index.js')).href);

// The candidate list, fixed before the CV (see bench/RESULTS.md, "GBDT defaults by cross-validation").
const CANDIDATES = {
  default: {},
  onehot: { maxCatToOnehot: 64 },
  xgblike: { maxCatToOnehot: 64, maxLeaves: 64, maxDepth: 6, colsample: 1, minSamplesLeaf: 1, minChildWeight: 1 },
  'xgblike-col0.8': { maxCatToOnehot: 64, maxLeaves: 64, maxDepth: 6, minSamplesLeaf: 1, minChildWeight: 1 },
  'onehot-depth6': { maxCatToOnehot: 64, maxLeaves: 64, maxDepth: 6 },
};
// --extra '{"name": {options}}': post-hoc diagnostics, OUTSIDE the pre-registered list (never a basis for a default).
Object.assign(CANDIDATES, JSON.parse(value('--extra', '{}')));
const variants = Object.fromEntries(Object.entries(CANDIDATES).filter(([k]) => only === undefined || only.includes(k)));


let table, target, features;
if (merge) {
  // summarise earlier --out files together (e.g. one process per fold seed), no training
} else if (data === 'adult') {
  table = readAdultCsv('/work/shared/datasets/adult/adult_train.csv');
  target = 'income';
  features = FEATURES;
} else {
  const dir = join(tmpdir(), 'mloop-gbdt-cv-tables');
  if (!existsSync(join(dir, `${data}-train.csv`))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./train-cli-peers.py', import.meta.url)), 'export', dir]);
  }
  table = readAdultCsv(join(dir, `${data}-train.csv`), (h) => h !== 'label');
  target = 'label';
  features = table.header.filter((h) => h !== 'label').map((name) => ({ name, kind: 'numeric' }));
}

const sub = (rows) =>
  Object.fromEntries(Object.entries(table.columns).map(([h, c]) => [h, c instanceof Float64Array ? Float64Array.from(rows, (r) => c[r]) : rows.map((r) => c[r])]));

const res = {}; // name -> [{foldSeed, fold, acc, ll, auc, cpu}]
const load0 = loadavg();
for (const file of merge ?? []) {
  const part = JSON.parse(readFileSync(file, 'utf8'));
  for (const [name, r] of Object.entries(part.res)) if (only === undefined || only.includes(name)) (res[name] ??= []).push(...r);
}
for (const foldSeed of merge ? [] : foldSeeds) {
  // shuffled fold assignment (same generator as /tmp/adult-cv.mjs, so fold seeds 1 and 2 reproduce the lead's folds)
  let s = (foldSeed * 2654435761) >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const idx = Array.from({ length: table.n }, (_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const fold = new Int32Array(table.n);
  idx.forEach((r, k) => {
    fold[r] = k % K;
  });
  for (let f = 0; f < K; f++) {
    const tr = [];
    const te = [];
    for (let i = 0; i < table.n; i++) (fold[i] === f ? te : tr).push(i);
    const trc = sub(tr);
    const tec = sub(te);
    const truth = tec[target];
    for (const [name, o] of Object.entries(variants)) {
      const t0 = process.cpuUsage();
      const m = await trainGbdt({ columns: trc }, target, { task: 'classification', features, seed: 0, ...o });
      const cpu = process.cpuUsage(t0);
      const classes = m.classes;
      const P = m.predictProba({ columns: tec });
      const yi = truth.map((v) => classes.indexOf(v));
      let ll = 0;
      P.forEach((p, i) => {
        ll -= Math.log(Math.min(Math.max(p[yi[i]], 1e-15), 1 - 1e-15));
      });
      const pred = P.map((p) => p.indexOf(Math.max(...p)));
      let auc;
      if (classes.length === 2) auc = rocAuc(P.map((p) => p[1]), yi);
      else {
        auc = 0;
        for (let c = 0; c < classes.length; c++) auc += rocAuc(P.map((p) => p[c]), yi.map((v) => (v === c ? 1 : 0)));
        auc /= classes.length;
      }
      const r = { foldSeed, fold: f, acc: accuracy(pred, yi), ll: ll / yi.length, auc, cpu: (cpu.user + cpu.system) / 1e6 };
      (res[name] ??= []).push(r);
      process.stderr.write(`[${data}] seed ${foldSeed} fold ${f} ${name} acc ${r.acc.toFixed(4)} ll ${r.ll.toFixed(4)} auc ${r.auc.toFixed(4)} cpu ${r.cpu.toFixed(1)}\n`);
    }
  }
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const sd = (a) => Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1));
const summary = {};
for (const [name, r] of Object.entries(res)) {
  const row = { n: r.length, acc: mean(r.map((x) => x.acc)), accSd: sd(r.map((x) => x.acc)), ll: mean(r.map((x) => x.ll)), llSd: sd(r.map((x) => x.ll)), auc: mean(r.map((x) => x.auc)), cpu: mean(r.map((x) => x.cpu)) };
  if (name !== 'default' && res.default) {
    const d = res.default;
    const dAcc = r.map((x, i) => x.acc - d[i].acc);
    const dLl = r.map((x, i) => x.ll - d[i].ll);
    const dAuc = r.map((x, i) => x.auc - d[i].auc);
    Object.assign(row, {
      dAcc: mean(dAcc), dAccSd: sd(dAcc), accNotWorse: dAcc.filter((v) => v >= 0).length,
      dLl: mean(dLl), dLlSd: sd(dLl), llNotWorse: dLl.filter((v) => v <= 0).length,
      dAuc: mean(dAuc), dAucSd: sd(dAuc), aucNotWorse: dAuc.filter((v) => v >= 0).length,
    });
  }
  summary[name] = row;
  const f4 = (v) => (v === undefined ? '' : (v >= 0 ? '+' : '') + v.toFixed(4));
  console.log(
    `${data} ${name.padEnd(15)} acc ${row.acc.toFixed(4)}±${row.accSd.toFixed(4)} ll ${row.ll.toFixed(4)}±${row.llSd.toFixed(4)} auc ${row.auc.toFixed(4)} cpu ${row.cpu.toFixed(2)}` +
      (row.dAcc === undefined ? '' : ` | Δacc ${f4(row.dAcc)}±${row.dAccSd.toFixed(4)} (${row.accNotWorse}/${r.length} ≥) Δll ${f4(row.dLl)}±${row.dLlSd.toFixed(4)} (${row.llNotWorse}/${r.length} ≤) Δauc ${f4(row.dAuc)}±${row.dAucSd.toFixed(4)} (${row.aucNotWorse}/${r.length} ≥)`),
  );
}
console.log(`load ${load0.map((v) => v.toFixed(2)).join(' ')} -> ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
if (out) writeFileSync(out, JSON.stringify({ data, foldSeeds, K, candidates: variants, res, summary }, null, 1));
