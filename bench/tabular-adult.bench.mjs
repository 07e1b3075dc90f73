#!/usr/bin/env node
// Adult benchmark of the tabular GBDT (and linear baseline) against XGBoost in the same run.
// Usage (from the repo root, after `npm run build`): node bench/tabular-adult.bench.mjs [--no-peer] [--no-write] [--runs N] [--cold]
// --cold: every mloop GBDT fit (threads auto) runs in a fresh Node process, as `mloop train` does, one per run,
// alternated with the XGBoost peer (itself a fresh Python process each run); the in-process warm fits are skipped.
// Env TABULAR_DIST overrides the compiled library folder (default ../dist/training/tabular).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir, platform, release, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { FEATURES, readAdultCsv } from './adult-data.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const lib = process.env.TABULAR_DIST ?? join(here, '..', 'dist', 'training', 'tabular');
const { trainGbdt, trainLinear, rocAuc, accuracy, expectedCalibrationError } = await import(pathToFileURL(join(lib, 'index.js')).href);

const DATA = process.env.ADULT_DIR ?? '/work/shared/datasets/adult';
const PEER = '/work/shared/peers/adult_baselines.py';
const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) || 3 : 3;


const features = FEATURES;

function evaluate(model, test) {
  const t0 = performance.now();
  const proba = model.predictProba(test);
  const predS = (performance.now() - t0) / 1000;
  const p = proba.map((r) => r[1]);
  const raw = model.predictProba(test, { calibrated: false }).map((r) => r[1]);
  const y = test.columns.income.map((v) => (v === '>50K' ? 1 : 0));
  const yhat = p.map((q) => (q >= 0.5 ? 1 : 0));
  const yhatRaw = raw.map((q) => (q >= 0.5 ? 1 : 0));
  return {
    accuracy: accuracy(yhat, y),
    auc: rocAuc(p, y),
    ece: expectedCalibrationError(p, y),
    accuracyUncalibrated: accuracy(yhatRaw, y),
    aucUncalibrated: rocAuc(raw, y),
    eceUncalibrated: expectedCalibrationError(raw, y),
    predictRowsPerS: test.n / predS,
  };
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here }).toString().trim();
  } catch {
    return 'unknown';
  }
}

function runPeer() {
  const dir = mkdtempSync(join(tmpdir(), 'tabular-adult-'));
  const out = join(dir, 'xgb.json');
  try {
    execFileSync('/usr/bin/python3', [PEER, '--model', 'xgb', '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const train = readAdultCsv(join(DATA, 'adult_train.csv'));
const test = readAdultCsv(join(DATA, 'adult_test.csv'));
const cold = args.includes('--cold');

/** One default fit, timed from the call (data already loaded), as the first fit of this process. */
async function fitOnce() {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const gbdt = await trainGbdt({ columns: train.columns }, 'income', { task: 'classification', features, seed: 0 });
  const fitSeconds = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  return { fitSeconds, cpuSeconds: (cu.user + cu.system) / 1e6, rounds: gbdt.report.rounds, calibration: gbdt.report.calibration.method, ...evaluate(gbdt, test) };
}

if (args.includes('--child-fit')) {
  // child of --cold: one fit, its figures on stdout
  console.log(JSON.stringify(await fitOnce()));
  process.exit(0);
}

const results = [];
const loadBefore = loadavg();
for (let run = 1; run <= runs; run++) {
  if (cold) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child-fit'], { encoding: 'utf8', env: process.env });
    const g = { model: 'mloop GBDT (threads auto), first fit of a fresh process', run, ...JSON.parse(out.trim().split('\n').pop()) };
    results.push(g);
    console.log(JSON.stringify(g));
  }
  for (const threads of cold ? [] : [undefined, 2]) {
    const gbdtOpts = { task: 'classification', features, seed: 0, ...(threads ? { threads } : {}) };
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const gbdt = await trainGbdt({ columns: train.columns }, 'income', gbdtOpts);
    const gbdtS = (performance.now() - t0) / 1000;
    const cu = process.cpuUsage(c0);
    const g = {
      model: `mloop GBDT (threads ${threads ?? 'auto'})`,
      run,
      fitSeconds: gbdtS,
      cpuSeconds: (cu.user + cu.system) / 1e6,
      rounds: gbdt.report.rounds,
      calibration: gbdt.report.calibration.method,
      ...evaluate(gbdt, test),
    };
    results.push(g);
    console.log(JSON.stringify(g));
  }
  if (run === 1 && !cold) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const m = await trainGbdt({ columns: train.columns }, 'income', { task: 'classification', features, seed: 0, refitOnAllRows: true });
    const fitS = (performance.now() - t0) / 1000;
    const cu = process.cpuUsage(c0);
    const g = { model: 'mloop GBDT (refitOnAllRows)', run, fitSeconds: fitS, cpuSeconds: (cu.user + cu.system) / 1e6, rounds: m.report.rounds, calibration: m.report.calibration.method, ...evaluate(m, test) };
    results.push(g);
    console.log(JSON.stringify(g));
  }
  if (run === 1 && !cold && !args.includes('--no-linear')) {
    const t0 = performance.now();
    const lin = await trainLinear({ columns: train.columns }, 'income', { task: 'classification', features, seed: 0 });
    const linS = (performance.now() - t0) / 1000;
    const l = { model: 'mloop linear (logistic, l2 = 1)', run, fitSeconds: linS, calibration: lin.report.calibration.method, ...evaluate(lin, test) };
    results.push(l);
    console.log(JSON.stringify(l));
  }
  if (!args.includes('--no-peer') && existsSync('/usr/bin/python3')) {
    const x = runPeer();
    const r = { model: `XGBoost ${x.xgboost_version} (peer script)`, run, fitSeconds: x.fit_seconds, accuracy: x.test_accuracy, auc: x.test_auc, predictRowsPerS: x.predict_rows_per_s };
    results.push(r);
    console.log(JSON.stringify(r));
    // The same pipeline's fit on one thread, with its process CPU time (bench/adult-xgb-cpu.py).
    const c = JSON.parse(
      execFileSync('/usr/bin/python3', [join(here, 'adult-xgb-cpu.py'), '--peers', dirname(PEER)], { env: { ...process.env, OMP_NUM_THREADS: '1' }, encoding: 'utf8' }),
    );
    const rc = { model: 'XGBoost (same pipeline, OMP_NUM_THREADS=1)', run, fitSeconds: c.fit_seconds, cpuSeconds: c.fit_cpu_seconds };
    results.push(rc);
    console.log(JSON.stringify(rc));
  }
}
const loadAfter = loadavg();
const peakRssMB = (() => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
})();
console.log(`peak RSS of this node process: ${peakRssMB.toFixed(0)} MB`);

if (!args.includes('--no-write')) {
  const f = (v, d = 4) => (typeof v === 'number' ? v.toFixed(d) : '—');
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`;
  const rows = results.map((r) => `| ${r.model} | ${r.run} | ${f(r.accuracy)} | ${f(r.auc)} | ${f(r.fitSeconds, 2)} | ${f(r.cpuSeconds, 2)} | ${r.rounds ?? '—'} | ${r.calibration ?? '—'} | ${f(r.ece)} | ${f(r.accuracyUncalibrated)} / ${f(r.aucUncalibrated)} / ${f(r.eceUncalibrated)} | ${r.predictRowsPerS ? Math.round(r.predictRowsPerS) : '—'} |`);
  const text = `# Tabular learners on Adult (bench/tabular-adult.bench.mjs)

- date: ${new Date().toISOString()}
- machine: ${machine}
- git commit: ${gitCommit()} (plus uncommitted changes if any)
- data: adult_train.csv (32,561 rows) → adult_test.csv (16,281 rows), 14 features, threshold 0.5 on P(>50K)
- peer: \`/usr/bin/python3 ${PEER} --model xgb\` run in the same process tree, right after ours; then the same pipeline's fit on one thread with its process CPU time (\`OMP_NUM_THREADS=1 bench/adult-xgb-cpu.py\`)
- mode: ${cold ? 'cold — each mloop fit is the first fit of a fresh Node process (`--cold`)' : 'in-process — run 1 is the first fit of this process, later runs are warm'}
- node peak RSS (whole bench process, data + all mloop models): ${peakRssMB.toFixed(0)} MB
- load average (1/5/15 min) before: ${loadBefore.map((v) => v.toFixed(1)).join(' / ')}, after: ${loadAfter.map((v) => v.toFixed(1)).join(' / ')} — the machine is shared; compare rows of the same run
- mloop defaults: learningRate 0.1, maxLeaves 31, minSamplesLeaf 20, lambda 1, colsample 0.8, early stopping on a stratified 10 % split (patience 20), calibration auto

| model | run | accuracy | ROC-AUC | fit s (wall) | fit CPU s | rounds | calibration | ECE (15 bins) | uncalibrated acc / AUC / ECE | predict rows/s |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
  // hand-written notes below the marker survive reruns
  mkdirSync(join(here, '.out'), { recursive: true });
  const out = join(here, '.out', 'tabular-RESULTS.md');
  const marker = '<!-- notes -->';
  const old = existsSync(out) ? readFileSync(out, 'utf8') : '';
  const notes = old.includes(marker) ? old.slice(old.indexOf(marker)) : `${marker}\n`;
  writeFileSync(out, `${text}\n${notes}`);
}
