#!/usr/bin/env node
// Drift statistics: agreement with scipy on real data, default alarms on real data, and a
// bounded-memory performance run beside scipy.
//
//   npm run build && node bench/drift-elec2.bench.mjs            # everything, writes bench/.out/drift-RESULTS.md
//   node bench/drift-elec2.bench.mjs --match                     # agreement + alarms only
//   node bench/drift-elec2.bench.mjs --speed 5                   # 1M×20 vs 100k: mloop and scipy alternated 5 times
//
// Needs /work/shared (datasets, peers/results/drift_reference.json) and /usr/bin/python3 with scipy.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
// DRIFT_DIST: a private build (`npx tsc -p tsconfig.build.json --outDir /tmp/drift-dist`) when others rebuild dist/.
const { DriftWindow, calibrateAlarms, computeDrift, evaluateAlarms, normal, profileDataset, seededRandom } = await import(
  process.env.DRIFT_DIST ? path.join(process.env.DRIFT_DIST, 'monitoring/index.js') : '../dist/monitoring/index.js'
);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHARED = process.env.MLOOP_SHARED ?? '/work/shared';
const REF_JSON = path.join(SHARED, 'peers/results/drift_reference.json');
const DATA_DIR = process.env.DRIFT_BENCH_DATA ?? path.join(os.tmpdir(), 'mloop-drift-bench');
const PY = '/usr/bin/python3';
const log = (...a) => console.log(...a);
// Python's json writes -Infinity / NaN, which JSON.parse refuses
const readPyJson = (file) =>
  JSON.parse(fs.readFileSync(file, 'utf8').replace(/-Infinity/g, '"-Infinity"').replace(/\bNaN\b/g, '"NaN"'), (_k, v) =>
    v === '-Infinity' ? -Infinity : v === 'NaN' ? Number.NaN : v,
  );

function readCsv(file) {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  const cols = Object.fromEntries(header.map((h) => [h, []]));
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    header.forEach((h, j) => cols[h].push(cells[j]));
  }
  return { header, cols, rows: lines.length - 1 };
}

const num = (a) => a.map((v) => (v === '' ? null : Number(v)));
const slice = (cols, names, lo, hi, numeric) =>
  Object.fromEntries(names.map((n) => [n, numeric.includes(n) ? num(cols[n].slice(lo, hi)) : cols[n].slice(lo, hi)]));

function relErr(ours, ref) {
  if (ours === ref) return 0;
  if (!Number.isFinite(ref) || !Number.isFinite(ours)) return Infinity;
  if (ref === 0) return Math.abs(ours);
  return Math.abs(ours - ref) / Math.abs(ref);
}

/** Runs every test the reference JSON has for one comparison; returns rows of (quantity, ours, scipy). */
function compareOne(name, comp, refCols, curCols, numeric, categorical) {
  const specs = [
    ...numeric.map((n) => ({
      name: n,
      kind: 'numeric',
      tests: [
        { test: 'drift:ks', method: 'auto' },
        { test: 'drift:ks', method: 'asymp' },
        { test: 'drift:psi' },
        { test: 'drift:chi2', correction: false },
        { test: 'drift:chi2', correction: true },
      ],
    })),
    ...categorical.map((n) => ({
      name: n,
      kind: 'categorical',
      tests: [{ test: 'drift:chi2', correction: false }, { test: 'drift:chi2', correction: true }, { test: 'drift:psi' }],
    })),
  ];
  const profile = profileDataset(refCols, specs);
  const window = new DriftWindow(profile).addColumns(curCols);
  const report = computeDrift(profile, window);
  const rows = [];
  const push = (quantity, feature, ours, scipy, kind) => rows.push({ comparison: name, feature, quantity, ours, scipy, kind });
  for (const f of report.features) {
    if (f.errors.length) log('  errors', f.feature, f.errors);
    const r = f.results;
    if (f.kind === 'numeric') {
      const ref = comp.numeric[f.feature];
      const [ksAuto, ksAsymp, psi, chiF, chiT] = r;
      push('ks_auto.statistic', f.feature, ksAuto.statistic, ref.ks_auto.statistic, 'stat');
      push('ks_auto.pvalue', f.feature, ksAuto.p_value, ref.ks_auto.pvalue, 'p');
      push('ks_auto.location', f.feature, ksAuto.details.statistic_location, ref.ks_auto.statistic_location, 'stat');
      push('ks_auto.method', f.feature, ksAuto.details.method, ref.ks_auto.method_used, 'eq');
      push('ks_asymp.statistic', f.feature, ksAsymp.statistic, ref.ks_asymp.statistic, 'stat');
      push('ks_asymp.pvalue', f.feature, ksAsymp.p_value, ref.ks_asymp.pvalue, 'p');
      // edges compared numerically: pandas' default CSV float parser is not correctly rounded
      // (it reads "0.19148900000000002" as 0.191489), so edges can differ by an ulp
      push('psi.edges.length', f.feature, psi.details.bin_edges.length, ref.psi_bins.edges.length, 'eq');
      psi.details.bin_edges.forEach((e, i) => push('psi.edges', f.feature, e, ref.psi_bins.edges[i], 'stat'));
      push('psi.counts', f.feature, JSON.stringify([psi.details.counts_reference, psi.details.counts_current]),
        JSON.stringify([ref.psi_bins.counts_ref, ref.psi_bins.counts_cur]), 'eq');
      push('psi', f.feature, psi.statistic, ref.psi, 'stat');
      for (const [res, key] of [[chiF, 'contingency_correction_false'], [chiT, 'contingency_correction_true']]) {
        const want = ref.chi2_on_psi_bins[key];
        push(`chi2_bins.${key}.statistic`, f.feature, res.statistic, want.statistic, 'stat');
        push(`chi2_bins.${key}.pvalue`, f.feature, res.p_value, want.pvalue, 'p');
        push(`chi2_bins.${key}.log_pvalue`, f.feature, res.log_p_value, want.log_pvalue, 'logp');
      }
    } else {
      const ref = comp.categorical[f.feature];
      const [chiF, chiT, psi] = r;
      for (const [res, key] of [[chiF, 'contingency_correction_false'], [chiT, 'contingency_correction_true']]) {
        const want = ref.chi2[key];
        push(`chi2.${key}.statistic`, f.feature, res.statistic, want.statistic, 'stat');
        push(`chi2.${key}.pvalue`, f.feature, res.p_value, want.pvalue, 'p');
        push(`chi2.${key}.log_pvalue`, f.feature, res.log_p_value, want.log_pvalue, 'logp');
      }
      push('chi2.counts', f.feature, JSON.stringify([chiF.details.categories, chiF.details.counts_reference, chiF.details.counts_current]),
        JSON.stringify([ref.categories, ref.counts_ref, ref.counts_cur]), 'eq');
      push('psi', f.feature, psi.statistic, ref.psi, 'stat');
    }
  }
  return rows;
}

function matchAll() {
  const refJson = readPyJson(REF_JSON);
  const elec = readCsv(path.join(SHARED, 'datasets/elec2/elec.csv'));
  const ncols = ['period', 'nswprice', 'nswdemand', 'vicprice', 'vicdemand', 'transfer'];
  const rows = [];
  for (const [name, comp] of Object.entries(refJson.comparisons)) {
    if (name.startsWith('elec2')) {
      const [a, b] = comp.ref_rows;
      const [c, d] = comp.cur_rows;
      const cols = [...ncols, 'class'];
      rows.push(...compareOne(name, comp, slice(elec.cols, cols, a, b, ncols), slice(elec.cols, cols, c, d, ncols), ncols, ['class']));
    } else if (name === 'adult_train_test') {
      const tr = readCsv(path.join(SHARED, 'datasets/adult/adult_train.csv'));
      const te = readCsv(path.join(SHARED, 'datasets/adult/adult_test.csv'));
      const an = Object.keys(comp.numeric);
      const ac = Object.keys(comp.categorical);
      rows.push(...compareOne(name, comp, slice(tr.cols, [...an, ...ac], 0, tr.rows, an), slice(te.cols, [...an, ...ac], 0, te.rows, an), an, ac));
    }
  }
  // summarise: max relative error per quantity family
  const summary = {};
  const notes = [];
  for (const r of rows) {
    const fam = r.quantity.replace(/^chi2_bins\.|^chi2\./, 'chi2.').replace(/contingency_correction_(true|false)\./, '');
    const s = (summary[fam] ??= { n: 0, maxRel: 0, mismatches: 0, underflow: 0, worst: '' });
    s.n++;
    if (r.kind === 'eq') {
      if (r.ours !== r.scipy) {
        s.mismatches++;
        notes.push(`${r.comparison}/${r.feature} ${r.quantity}: ours ${r.ours} vs scipy ${r.scipy}`);
      }
      continue;
    }
    if (r.kind === 'p' && r.scipy === 0) {
      s.underflow++;
      continue; // compared through log p below
    }
    if (r.kind === 'logp') {
      if (Number.isNaN(r.scipy)) continue; // dof 0: scipy's log p is NaN, ours 0 (p = 1)
      if (r.scipy === -Infinity) {
        s.underflow++;
        notes.push(`${r.comparison}/${r.feature} ${r.quantity}: scipy underflows (p = 0, log p = -inf); ours log p = ${r.ours.toFixed(6)}`);
        continue;
      }
    }
    const e = relErr(r.ours, r.scipy);
    if (e > s.maxRel) {
      s.maxRel = e;
      s.worst = `${r.comparison}/${r.feature}`;
    }
  }
  return { summary, notes, rows };
}

function alarmsOn(name, refCols, curCols, numeric, categorical) {
  const specs = [...numeric.map((n) => ({ name: n, kind: 'numeric' })), ...categorical.map((n) => ({ name: n, kind: 'categorical' }))];
  const profile = profileDataset(refCols, specs);
  const window = new DriftWindow(profile).addColumns(curCols);
  const report = computeDrift(profile, window);
  const t0 = performance.now();
  const calibration = calibrateAlarms(profile, window.rows, { seed: 7 });
  const ms = performance.now() - t0;
  const alarms = evaluateAlarms(calibration, report);
  return { name, alarms, calibrationMs: ms, bootstrap: calibration.bootstrap };
}

function alarmsAll() {
  const elec = readCsv(path.join(SHARED, 'datasets/elec2/elec.csv'));
  const ncols = ['period', 'nswprice', 'nswdemand', 'vicprice', 'vicdemand', 'transfer'];
  const h = Math.floor(elec.rows / 2);
  const cols = [...ncols, 'class'];
  const out = [alarmsOn('elec2 halves', slice(elec.cols, cols, 0, h, ncols), slice(elec.cols, cols, h, elec.rows, ncols), ncols, ['class'])];
  const tr = readCsv(path.join(SHARED, 'datasets/adult/adult_train.csv'));
  const te = readCsv(path.join(SHARED, 'datasets/adult/adult_test.csv'));
  const an = ['age', 'education_num', 'hours_per_week', 'capital_gain', 'capital_loss', 'fnlwgt'];
  const ac = ['workclass', 'education', 'marital_status', 'occupation', 'relationship', 'race', 'sex', 'native_country', 'income'];
  out.push(alarmsOn('adult train vs test', slice(tr.cols, [...an, ...ac], 0, tr.rows, an), slice(te.cols, [...an, ...ac], 0, te.rows, an), an, ac));
  return out;
}

// ---------- performance ----------
const N_NUM = 10;
const N_CAT = 10;
const REF_ROWS = 100_000;
const CHUNK = 50_000;

/** Column c of the generated data: numeric columns mix continuous, rounded (ties) and skewed shapes. */
function genNumeric(c, rng, n, current) {
  const out = new Float64Array(n);
  const shift = current && c % 3 === 0 ? 0.05 : 0; // a small drift in every third column
  for (let i = 0; i < n; i++) {
    const z = normal(rng) + shift;
    out[i] = c % 4 === 0 ? z : c % 4 === 1 ? Math.round(z * 20) / 20 : c % 4 === 2 ? Math.exp(z) : Math.floor(rng.next() * 1000) + shift * 100;
  }
  return out;
}

function genCategorical(c, rng, n, current) {
  const k = 3 + 5 * c; // 3 … 48 categories
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // Zipf-like: floor(k * u^2); current windows tilt every other column
    const u = rng.next();
    out[i] = Math.min(k - 1, Math.floor(k * u ** (current && c % 2 === 0 ? 2.05 : 2)));
  }
  return out;
}

/** Writes the reference and a current window of `rows` to DATA_DIR as raw little-endian arrays. */
function ensureData(rows) {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  for (const [tag, n, seed, current] of [['ref', REF_ROWS, 1, false], [`cur${rows}`, rows, 2, true]]) {
    const marker = path.join(DATA_DIR, `${tag}.done`);
    if (fs.existsSync(marker)) continue;
    for (let c = 0; c < N_NUM + N_CAT; c++) {
      const file = path.join(DATA_DIR, `${tag}_${c}.bin`);
      const fd = fs.openSync(file, 'w');
      const rng = seededRandom(seed * 1000 + c);
      for (let done = 0; done < n; done += CHUNK) {
        const len = Math.min(CHUNK, n - done);
        const a = c < N_NUM ? genNumeric(c, rng, len, current) : genCategorical(c - N_NUM, rng, len, current);
        fs.writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      }
      fs.closeSync(fd);
    }
    fs.writeFileSync(marker, '');
  }
}

function readChunk(fd, c, offsetRows, len) {
  const bytes = c < N_NUM ? 8 : 4;
  const buf = Buffer.alloc(len * bytes);
  fs.readSync(fd, buf, 0, len * bytes, offsetRows * bytes);
  return c < N_NUM ? new Float64Array(buf.buffer, buf.byteOffset, len) : new Int32Array(buf.buffer, buf.byteOffset, len);
}

/** One measured run in its own process: profile the reference, stream `rows` current rows in chunks, test. */
function perfChild(rows) {
  const names = Array.from({ length: N_NUM + N_CAT }, (_, c) => (c < N_NUM ? `x${c}` : `k${c - N_NUM}`));
  const refCols = {};
  for (let c = 0; c < names.length; c++) {
    const fd = fs.openSync(path.join(DATA_DIR, `ref_${c}.bin`), 'r');
    refCols[names[c]] = readChunk(fd, c, 0, REF_ROWS);
    fs.closeSync(fd);
  }
  const t0 = performance.now();
  const profile = profileDataset(
    refCols,
    names.map((n, c) => ({ name: n, kind: c < N_NUM ? 'numeric' : 'categorical', tests: [{ test: c < N_NUM ? 'drift:ks' : 'drift:chi2', correction: false }] })),
  );
  for (const k of Object.keys(refCols)) delete refCols[k];
  const t1 = performance.now();
  const window = new DriftWindow(profile);
  const fds = names.map((_, c) => fs.openSync(path.join(DATA_DIR, `cur${rows}_${c}.bin`), 'r'));
  let ioMs = 0;
  for (let done = 0; done < rows; done += CHUNK) {
    const len = Math.min(CHUNK, rows - done);
    const r0 = performance.now();
    const chunk = Object.fromEntries(names.map((n, c) => [n, readChunk(fds[c], c, done, len)]));
    ioMs += performance.now() - r0;
    window.addColumns(chunk);
  }
  fds.forEach((fd) => fs.closeSync(fd));
  const t2 = performance.now();
  const report = computeDrift(profile, window);
  const t3 = performance.now();
  const results = report.features.map((f) => ({ feature: f.feature, statistic: f.results[0]?.statistic, p: f.results[0]?.p_value }));
  process.stdout.write(
    JSON.stringify({
      rows,
      profileMs: t1 - t0,
      accumulateMs: t2 - t1 - ioMs,
      ioMs,
      testsMs: t3 - t2,
      totalMs: t3 - t0 - ioMs,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20,
      results,
    }),
  );
}

function perfAll() {
  const sizes = [100_000, 1_000_000, 3_000_000];
  const out = { js: [], scipy: null };
  for (const rows of sizes) {
    ensureData(rows);
    let r;
    // the tree is shared: another build can wipe dist/ mid-run, so retry a missing-module failure
    for (let attempt = 0; attempt < 5; attempt++) {
      r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--perf-child', String(rows)], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (r.status === 0 || !/ERR_MODULE_NOT_FOUND/.test(r.stderr)) break;
      spawnSync('sleep', ['20']);
    }
    if (r.status !== 0) throw new Error(r.stderr);
    out.js.push(JSON.parse(r.stdout));
  }
  const py = spawnSync(PY, [path.join(HERE, 'drift-scipy.py'), DATA_DIR, String(REF_ROWS), '1000000', String(N_NUM), String(N_CAT)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (py.status !== 0) throw new Error(py.stderr);
  out.scipy = JSON.parse(py.stdout);
  // agreement at scale: the same tests on the same 1M rows
  const js1m = out.js.find((r) => r.rows === 1_000_000);
  let maxStat = 0;
  let maxP = 0;
  for (const [i, s] of out.scipy.results.entries()) {
    const j = js1m.results[i];
    maxStat = Math.max(maxStat, relErr(j.statistic, s.statistic));
    if (s.p > 1e-300) maxP = Math.max(maxP, relErr(j.p, s.p));
  }
  out.agreement = { maxStat, maxP };
  return out;
}

/**
 * Speed at 1M×20 vs a 100k reference: mloop and scipy alternated `reps` times, each run in its own
 * process, with the load average before each; the ratio of medians and the per-pair ratios.
 */
function speed(reps) {
  ensureData(1_000_000);
  const pairs = [];
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? ['mloop', 'scipy'] : ['scipy', 'mloop'];
    const pair = {};
    for (const who of order) {
      const load = os.loadavg()[0];
      // /usr/bin/time: the child's CPU seconds (user + sys), less sensitive to the machine's load than wall time
      const cmd =
        who === 'mloop'
          ? [process.execPath, fileURLToPath(import.meta.url), '--perf-child', '1000000']
          : [PY, path.join(HERE, 'drift-scipy.py'), DATA_DIR, String(REF_ROWS), '1000000', String(N_NUM), String(N_CAT)];
      const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 26, env: process.env });
      if (r.status !== 0) throw new Error(r.stderr);
      const j = JSON.parse(r.stdout);
      const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
      pair[who] = { ms: j.totalMs, rss: j.maxRssMB, load, cpuS: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN };
    }
    pairs.push(pair);
    log(`  pair ${i + 1}: mloop ${pair.mloop.ms.toFixed(0)} ms (load ${pair.mloop.load.toFixed(2)}), scipy ${pair.scipy.ms.toFixed(0)} ms (load ${pair.scipy.load.toFixed(2)}), ratio mloop/scipy ${(pair.mloop.ms / pair.scipy.ms).toFixed(2)}; process CPU s (start-up and file reads included) mloop ${pair.mloop.cpuS.toFixed(2)}, scipy ${pair.scipy.cpuS.toFixed(2)}`);
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = med(pairs.map((p) => p.mloop.ms));
  const s = med(pairs.map((p) => p.scipy.ms));
  const ratios = pairs.map((p) => p.mloop.ms / p.scipy.ms);
  log(`  median mloop ${m.toFixed(0)} ms, scipy ${s.toFixed(0)} ms, ratio ${(m / s).toFixed(2)}; per-pair ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}; mloop faster in ${ratios.filter((r) => r < 1).length}/${reps}`);
  const mc = med(pairs.map((p) => p.mloop.cpuS));
  const sc = med(pairs.map((p) => p.scipy.cpuS));
  log(`  median process CPU: mloop ${mc.toFixed(2)} s, scipy ${sc.toFixed(2)} s, ratio ${(mc / sc).toFixed(2)}`);
}

function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE, encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  return { cpu, cores: os.cpus().length, memGB: (os.totalmem() / 2 ** 30).toFixed(1), node: process.version, commit, date: new Date().toISOString() };
}

const fmt = (x, d = 3) => (typeof x === 'number' ? (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(d)) : String(x));

function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--perf-child') return perfChild(Number(args[1]));
  if (args[0] === '--speed') return speed(Number(args[1] ?? 5));
  const m = matchAll();
  log('== agreement with drift_reference.json (scipy', readPyJson(REF_JSON).meta.scipy + ')');
  for (const [k, s] of Object.entries(m.summary)) {
    log(`  ${k.padEnd(28)} n=${String(s.n).padStart(3)} max rel err ${s.maxRel.toExponential(2)}${s.worst ? ` (${s.worst})` : ''}${s.mismatches ? ` MISMATCHES ${s.mismatches}` : ''}${s.underflow ? ` scipy-underflow ${s.underflow}` : ''}`);
  }
  for (const n of m.notes) log('   ', n);
  log('== default alarms (falseAlarmRate 0.01, fdr 0.05, min effect per test)');
  const al = alarmsAll();
  for (const a of al) {
    log(`  ${a.name}: alarms = [${a.alarms.alarms.join(', ')}]  (calibration ${a.bootstrap} replicates, ${a.calibrationMs.toFixed(0)} ms)`);
    for (const f of a.alarms.features) {
      log(`    ${f.feature.padEnd(15)} ${f.test.padEnd(11)} stat ${fmt(f.statistic, 4).padStart(10)} effect ${fmt(f.effect_size, 4).padStart(8)} p ${fmt(f.p_value ?? NaN).padStart(9)} cal-p ${fmt(f.calibrated_p_value).padStart(8)} thr ${fmt(f.threshold, 4).padStart(8)} ${f.status}`);
    }
  }
  if (args[0] === '--match') return;
  log('== performance (20 columns: 10 numeric KS, 10 categorical chi2; reference 100,000 rows)');
  const perf = perfAll();
  for (const r of perf.js) {
    log(`  mloop  window ${String(r.rows).padStart(9)}: total ${r.totalMs.toFixed(0)} ms (profile ${r.profileMs.toFixed(0)}, stream ${r.accumulateMs.toFixed(0)}, tests ${r.testsMs.toFixed(0)}; file reads ${r.ioMs.toFixed(0)} ms excluded) peak RSS ${r.maxRssMB.toFixed(0)} MB`);
  }
  const s = perf.scipy;
  log(`  scipy  window ${String(s.rows).padStart(9)}: total ${s.totalMs.toFixed(0)} ms (KS ${s.ksMs.toFixed(0)}, chi2 ${s.chi2Ms.toFixed(0)}; file reads ${s.ioMs.toFixed(0)} ms excluded) peak RSS ${s.maxRssMB.toFixed(0)} MB`);
  log(`  agreement on the 1M window: max rel err statistic ${perf.agreement.maxStat.toExponential(2)}, p-value ${perf.agreement.maxP.toExponential(2)}`);
  writeResults(machine(), m, al, perf);
}

function writeResults(mc, m, al, perf) {
  const lines = [];
  lines.push('# Drift statistics: agreement with scipy and performance', '');
  lines.push(`- date: ${mc.date}`, `- machine: ${mc.cpu}, ${mc.cores} cores, ${mc.memGB} GB; Node ${mc.node}; scipy ${perf.scipy.scipy}, numpy ${perf.scipy.numpy}`, `- git commit: ${mc.commit}`, '- command: `npm run build && node bench/drift-elec2.bench.mjs`', '');
  lines.push('## Agreement with `peers/results/drift_reference.json`', '');
  lines.push('Comparisons: elec2 halves, elec2 windows [0,500) vs [500,1000) and [30000,30500) vs [30500,31000), adult train vs test.', '');
  lines.push('| quantity | values | max relative error | notes |', '|---|---|---|---|');
  for (const [k, s] of Object.entries(m.summary)) {
    const notes = [s.mismatches ? `${s.mismatches} mismatches` : '', s.underflow ? `${s.underflow} where scipy underflows (p = 0 / log p = -inf)` : '', s.worst ? `worst: ${s.worst}` : '']
      .filter(Boolean)
      .join('; ');
    lines.push(`| ${k} | ${s.n} | ${s.maxRel === 0 ? '0 (identical)' : s.maxRel.toExponential(2)} | ${notes} |`);
  }
  lines.push('', 'Where scipy 1.10 underflows (its `chi2.logsf` is `log(sf)`), our log-space values:', '');
  for (const n of m.notes) lines.push(`- ${n}`);
  lines.push('', '## Default alarms (false-alarm rate 0.01 per feature per window, BH FDR 0.05, minimum effect 0.1)', '');
  for (const a of al) {
    lines.push(`**${a.name}**: alarms = [${a.alarms.alarms.join(', ')}] (${a.bootstrap} bootstrap replicates, calibration ${a.calibrationMs.toFixed(0)} ms)`, '');
    lines.push('| feature | test | statistic | effect | p (test) | calibrated p | threshold | status |', '|---|---|---|---|---|---|---|---|');
    for (const f of a.alarms.features) {
      lines.push(`| ${f.feature} | ${f.test} | ${fmt(f.statistic, 4)} | ${fmt(f.effect_size, 4)} | ${fmt(f.p_value ?? NaN)} | ${fmt(f.calibrated_p_value)} | ${fmt(f.threshold, 4)} | ${f.status} |`);
    }
    lines.push('');
  }
  lines.push('## Performance: 20 columns (10 numeric → KS, 10 categorical → chi-square), reference 100,000 rows', '');
  lines.push('mloop streams the window in 50,000-row chunks into bounded summaries; scipy holds the arrays (it has to). Each run is its own process; times exclude reading the binary input files.', '');
  lines.push('| implementation | window rows | total ms | profile ms | stream ms | tests ms | peak RSS MB |', '|---|---|---|---|---|---|---|');
  for (const r of perf.js) lines.push(`| mloop | ${r.rows.toLocaleString('en')} | ${r.totalMs.toFixed(0)} | ${r.profileMs.toFixed(0)} | ${r.accumulateMs.toFixed(0)} | ${r.testsMs.toFixed(0)} | ${r.maxRssMB.toFixed(0)} |`);
  const s = perf.scipy;
  lines.push(`| scipy ks_2samp + chi2_contingency | ${s.rows.toLocaleString('en')} | ${s.totalMs.toFixed(0)} | – | – | KS ${s.ksMs.toFixed(0)} + chi2 ${s.chi2Ms.toFixed(0)} | ${s.maxRssMB.toFixed(0)} |`);
  lines.push('', `Same 1M-row window, mloop vs scipy: max relative error of statistics ${perf.agreement.maxStat.toExponential(2)}, of p-values ${perf.agreement.maxP.toExponential(2)}.`, '');
  fs.writeFileSync((fs.mkdirSync(path.join(HERE, '.out'), { recursive: true }), path.join(HERE, '.out', 'drift-RESULTS.md')), lines.join('\n') + '\n');
  log('wrote bench/.out/drift-RESULTS.md (paste it into bench/RESULTS.md)');
}

main();
