#!/usr/bin/env node
// Consensus and agreement on the shared crowd datasets (product, dog, rte), checked against the
// README reference figures and, in the same run, against /work/shared/peers/crowd_baseline.py.
// Usage: npm run build && node bench/crowd-consensus.bench.mjs [--root DIR] [--out bench/.out/crowd-RESULTS.md] [--no-python]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  annotatorQuality,
  buildAnswerSetFromColumns,
  dawidSkene,
  fleissKappa,
  krippendorffAlpha,
  majorityVote,
  pairwiseCohenKappa,
} from '../dist/labeling/quality/index.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const ROOT = arg('--root', '/work/shared/datasets/crowd');
const OUT = arg('--out', new URL('./.out/crowd-RESULTS.md', import.meta.url).pathname);
const PYTHON = '/usr/bin/python3';
const BASELINE = '/work/shared/peers/crowd_baseline.py';
const DATASETS = ['product', 'dog', 'rte'];
const WARM_RUNS = 5;

// Reference figures from /work/shared/datasets/crowd/README.md.
const README = {
  product: { mv: 0.8966, ds: 0.9396, fleiss: 0.1574, alpha: 0.1575 },
  dog: { mv: 0.8178, ds: 0.8426, fleiss: 0.5194, alpha: 0.5194 },
  rte: { mv: 0.9187, ds: 0.9275, fleiss: 0.2414, alpha: 0.2415 },
};

function parseCsv(path, header) {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  if (lines[0] !== header.join(',')) throw new Error(`${path}: expected header ${header.join(',')}, got ${lines[0]}`);
  const cols = header.map(() => []);
  for (let r = 1; r < lines.length; r++) {
    const line = lines[r];
    if (line === '') continue;
    const parts = line.split(',');
    if (parts.length !== header.length) throw new Error(`${path}:${r + 1}: expected ${header.length} fields`);
    for (let c = 0; c < header.length; c++) cols[c].push(parts[c]);
  }
  return cols;
}

function accuracy(consensus, truth) {
  let hit = 0;
  let n = 0;
  consensus.items.forEach((item, i) => {
    const g = truth.get(item);
    if (g === undefined) return;
    n++;
    if (consensus.labels[i] === g) hit++;
  });
  return hit / n;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function runOnce(cols) {
  const t0 = performance.now();
  const set = buildAnswerSetFromColumns({ item: cols[0], worker: cols[1], label: cols[2] });
  const t1 = performance.now();
  const mv = majorityVote(set);
  const t2 = performance.now();
  const ds = dawidSkene(set, { init: 'soft-mv', iterations: 50 });
  const t3 = performance.now();
  const fleiss = fleissKappa(set);
  const alpha = krippendorffAlpha(set);
  const t4 = performance.now();
  return { set, mv, ds, fleiss, alpha, ms: { build: t1 - t0, mv: t2 - t1, ds: t3 - t2, agreement: t4 - t3, total: t4 - t0 } };
}

function runPython() {
  const dir = mkdtempSync(join(tmpdir(), 'crowd-bench-'));
  try {
    const json = join(dir, 'out.json');
    const t0 = performance.now();
    execFileSync(PYTHON, [BASELINE, ROOT, '--json', json], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - t0;
    const rows = JSON.parse(readFileSync(json, 'utf8'));
    return { ms, byName: new Map(rows.map((r) => [r.dataset, r])), error: null };
  } catch (err) {
    return { ms: null, byName: new Map(), error: String(err?.message ?? err).split('\n')[0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const f4 = (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(4));
const f1 = (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(1));
const results = [];
for (const name of DATASETS) {
  const tp = performance.now();
  const cols = parseCsv(join(ROOT, name, 'answers.csv'), ['item', 'worker', 'label']);
  const [tItems, tLabels] = parseCsv(join(ROOT, name, 'truth.csv'), ['item', 'label']);
  const parseMs = performance.now() - tp;
  const truth = new Map(tItems.map((id, i) => [id, tLabels[i]]));

  const cold = runOnce(cols);
  const warm = [];
  for (let r = 0; r < WARM_RUNS; r++) warm.push(runOnce(cols).ms);
  const { set, mv, ds, fleiss, alpha } = cold;

  const tZ = performance.now();
  const zheng = dawidSkene(set, { init: 'diagonal', diagonal: 0.7, iterations: 20 });
  const zhengMs = performance.now() - tZ;
  const tB = performance.now();
  const fleissCi = fleissKappa(set, { bootstrap: { replicates: 1000, seed: 1 } }).ci;
  const alphaCi = krippendorffAlpha(set, { bootstrap: { replicates: 1000, seed: 1 } }).ci;
  const bootMs = performance.now() - tB;
  const tC = performance.now();
  const pairs = pairwiseCohenKappa(set, { minShared: 10 });
  const pairsMs = performance.now() - tC;
  const tQ = performance.now();
  annotatorQuality(set, { gold: truth, consensus: ds });
  const qualityMs = performance.now() - tQ;

  results.push({
    name,
    items: set.numItems,
    workers: set.numWorkers,
    answers: set.numAnswers,
    classes: set.numClasses,
    mvAcc: accuracy(mv, truth),
    mvTied: mv.numTied,
    dsAcc: accuracy(ds, truth),
    dsIterations: ds.iterations,
    dsMaxChange: ds.maxChange,
    zhengAcc: accuracy(zheng, truth),
    fleiss: fleiss.value,
    alpha: alpha.value,
    fleissCi,
    alphaCi,
    pairs: pairs.pairs.length,
    meanKappa: pairs.meanKappa,
    ms: { parse: parseMs, cold: cold.ms, warmMedian: Object.fromEntries(Object.keys(cold.ms).map((k) => [k, median(warm.map((w) => w[k]))])), zheng: zhengMs, bootstrap: bootMs, pairs: pairsMs, quality: qualityMs },
  });
}

const py = runPython();
let commit = 'unknown';
let dirty = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/labeling/quality', 'bench/crowd-consensus.bench.mjs'], { encoding: 'utf8' }).trim() ? ' (with uncommitted changes under src/labeling/quality or in this script)' : '';
} catch {
  // not a git checkout
}

const checks = [];
const check = (what, ours, ref, tol) => {
  const ok = ours !== null && ref !== null && ref !== undefined && Math.abs(ours - ref) <= tol;
  checks.push({ what, ours, ref, tol, ok });
  return ok;
};
for (const r of results) {
  const ref = README[r.name];
  check(`${r.name} DS acc vs README`, r.dsAcc, ref.ds, 5e-5);
  check(`${r.name} MV acc vs README`, r.mvAcc, ref.mv, 5e-5);
  check(`${r.name} Fleiss vs README`, r.fleiss, ref.fleiss, 1e-4);
  check(`${r.name} alpha vs README`, r.alpha, ref.alpha, 1e-4);
  const p = py.byName.get(r.name);
  if (p) {
    check(`${r.name} DS acc vs python`, r.dsAcc, p.ds_acc, 1e-12);
    check(`${r.name} MV acc vs python`, r.mvAcc, p.mv_acc_smallest_label_tiebreak, 1e-12);
    check(`${r.name} DS 0.7-diag 20it acc vs python`, r.zhengAcc, p.ds_sym07_20it_acc, 1e-12);
    check(`${r.name} Fleiss vs python`, r.fleiss, p.fleiss_kappa, 1e-4);
    check(`${r.name} alpha vs python`, r.alpha, p.krippendorff_alpha_nominal, 1e-4);
  }
}
const product = results.find((r) => r.name === 'product');
const goalMs = 1000;

const md = [];
md.push('# Crowd consensus and agreement benchmark (src/labeling/quality)');
md.push('');
md.push(`- Date: ${new Date().toISOString()}`);
md.push(`- Machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, host ${hostname()}, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min; other work shares this machine, so times are noisy)`);
md.push(`- Node ${process.version}; git commit ${commit}${dirty}`);
md.push(`- Data: ${ROOT} (read in place, not copied). Command: \`npm run build && node bench/crowd-consensus.bench.mjs\``);
md.push(`- Reference: README figures of the data folder, and \`${PYTHON} ${BASELINE}\` run in the same process tree${py.error ? ` — FAILED: ${py.error}` : ` (${f1(py.ms)} ms wall for all three datasets, including Python start-up and CSV parsing)`}`);
md.push('');
md.push('## Accuracy against gold and agreement');
md.push('');
md.push('| dataset | items | workers | answers | MV acc (ties → smallest) | README | python | DS acc (soft-MV, 50 it) | README | python | DS 0.7-diag 20 it | python | Fleiss κ | README | python | Kripp. α | README | python |');
md.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const ref = README[r.name];
  const p = py.byName.get(r.name) ?? {};
  md.push(`| ${r.name} | ${r.items} | ${r.workers} | ${r.answers} | ${f4(r.mvAcc)} | ${f4(ref.mv)} | ${f4(p.mv_acc_smallest_label_tiebreak)} | ${f4(r.dsAcc)} | ${f4(ref.ds)} | ${f4(p.ds_acc)} | ${f4(r.zhengAcc)} | ${f4(p.ds_sym07_20it_acc)} | ${r.fleiss?.toFixed(6) ?? 'n/a'} | ${f4(ref.fleiss)} | ${p.fleiss_kappa?.toFixed(6) ?? 'n/a'} | ${r.alpha?.toFixed(6) ?? 'n/a'} | ${f4(ref.alpha)} | ${p.krippendorff_alpha_nominal?.toFixed(6) ?? 'n/a'} |`);
}
md.push('');
md.push('Bootstrap 95% percentile intervals over items (1000 replicates, seed 1):');
md.push('');
md.push('| dataset | Fleiss κ CI | Kripp. α CI | annotator pairs with ≥ 10 shared items | mean pairwise Cohen κ |');
md.push('|---|---|---|---|---|');
for (const r of results) {
  md.push(`| ${r.name} | [${f4(r.fleissCi?.lower)}, ${f4(r.fleissCi?.upper)}] | [${f4(r.alphaCi?.lower)}, ${f4(r.alphaCi?.upper)}] | ${r.pairs} | ${f4(r.meanKappa)} |`);
}
md.push('');
md.push('## Checks');
md.push('');
md.push('| check | ours | reference | tolerance | result |');
md.push('|---|---|---|---|---|');
for (const c of checks) md.push(`| ${c.what} | ${c.ours?.toFixed(8) ?? 'n/a'} | ${c.ref?.toFixed(8) ?? 'n/a'} | ${c.tol} | ${c.ok ? 'pass' : '**FAIL**'} |`);
md.push('');
md.push('## Time (ms)');
md.push('');
md.push(`"Consensus and agreement" = build the answer set from parsed CSV columns + majority vote + Dawid–Skene (50 it) + Fleiss + Krippendorff. CSV parsing is listed apart. Cold = first run in the process (includes JIT warm-up); warm = median of ${WARM_RUNS} further runs.`);
md.push('');
md.push('| dataset | CSV parse | build (cold / warm) | MV | DS 50 it | Fleiss + α | **total cold** | **total warm** | bootstrap 2×1000 | pairwise Cohen | annotator quality |');
md.push('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const { cold, warmMedian: w } = r.ms;
  md.push(`| ${r.name} | ${f1(r.ms.parse)} | ${f1(cold.build)} / ${f1(w.build)} | ${f1(cold.mv)} / ${f1(w.mv)} | ${f1(cold.ds)} / ${f1(w.ds)} | ${f1(cold.agreement)} / ${f1(w.agreement)} | ${f1(cold.total)} | ${f1(w.total)} | ${f1(r.ms.bootstrap)} | ${f1(r.ms.pairs)} | ${f1(r.ms.quality)} |`);
}
md.push('');
if (product) {
  const ok = product.ms.cold.total < goalMs;
  md.push(`Goal (product, consensus + agreement < ${goalMs} ms): ${ok ? 'met' : '**not met**'} — ${f1(product.ms.cold.total)} ms cold, ${f1(product.ms.warmMedian.total)} ms warm.`);
}
md.push('');
md.push(`All checks: ${checks.every((c) => c.ok) ? 'pass' : `**${checks.filter((c) => !c.ok).length} FAIL**`} (${checks.length} checks).`);
md.push('');
writeFileSync(OUT, md.join('\n'));
console.log(md.join('\n'));
if (!checks.every((c) => c.ok)) process.exitCode = 1;
