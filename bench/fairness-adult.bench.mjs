#!/usr/bin/env node
// Fairness on UCI Adult: mloop's demographic parity and equalized odds differences for `sex`, on the
// predictions of fixed models trained exactly as /work/shared/peers/adult_baselines.py does, against the
// peer's direct numpy computation of the same definitions (goal: ≤ 1e-12) and BASELINES.md's figures.
// Also times the audit with 1000 bootstrap resamples and shows what threshold mitigation costs.
//
//   npm run build && node bench/fairness-adult.mjs [--models lr,xgb,hgb] [--no-write]
//
// Env FAIRNESS_DIST overrides the compiled library folder (default ../dist/fairness).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const lib = process.env.FAIRNESS_DIST ?? join(here, '..', 'dist', 'fairness');
const { auditFairness, mitigateThresholds, evaluateThresholdPlan } = await import(pathToFileURL(join(lib, 'index.js')).href);

const BASELINES = '/work/shared/peers/BASELINES.md';
const args = process.argv.slice(2);
const models = (args.includes('--models') ? args[args.indexOf('--models') + 1] : 'lr,xgb,hgb').split(',');
const write = !args.includes('--no-write');
const NAMES = { lr: 'LogisticRegression', hgb: 'HistGradientBoosting', xgb: 'XGBoost' };
const log = (...a) => console.log(...a);

/** DP and EO differences of each model in BASELINES.md's Adult table (4 decimals). */
function baselineFigures() {
  const out = {};
  for (const line of readFileSync(BASELINES, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const model = Object.entries(NAMES).find(([, name]) => cells[1] === name)?.[0];
    if (model && cells[2] === '1') out[model] = { accuracy: Number(cells[3]), dp: Number(cells[5]), eo: Number(cells[6]) };
  }
  return out;
}

function predictions(model, dir) {
  const out = join(dir, `${model}.json`);
  const t0 = performance.now();
  execFileSync('/usr/bin/python3', [join(here, 'fairness-adult.py'), '--model', model, '--out', out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const seconds = (performance.now() - t0) / 1000;
  return { ...JSON.parse(readFileSync(out, 'utf8')), pythonSeconds: seconds };
}

function toData(r, rows = r.y_true.map((_, i) => i)) {
  const p = rows.map((i) => r.p[i]);
  return {
    data: {
      classes: ['<=50K', '>50K'],
      yTrue: Int32Array.from(rows, (i) => r.y_true[i]),
      yPred: Int32Array.from(rows, (i) => r.yhat[i]),
      confidence: Float64Array.from(p, (q) => Math.max(q, 1 - q)),
      proba: Float64Array.from(p.flatMap((q) => [1 - q, q])),
    },
    sex: rows.map((i) => r.sex[i]),
  };
}

const base = baselineFigures();
const dir = mkdtempSync(join(tmpdir(), 'fairness-adult-'));
const results = [];
try {
  for (const model of models) {
    const r = predictions(model, dir);
    const { data, sex } = toData(r);
    // The decision is the peer's p >= 0.5; JSON round-trips doubles exactly, so recomputing it must agree.
    const recomputed = r.p.every((q, i) => (q >= 0.5 ? 1 : 0) === r.yhat[i]);
    const t0 = performance.now();
    const report = auditFairness(data, { sex }, { replicates: 1000, seed: 0 });
    const auditMs = performance.now() - t0;
    const a = report.attributes.sex;
    const np = r.numpy_fairness_sex;
    const groupOf = (g) => a.groups.find((x) => x.group === g);
    const pairs = [
      ['demographic_parity_difference', a.differences.demographic_parity_difference.value, np.demographic_parity_difference],
      ['demographic_parity_ratio', a.differences.demographic_parity_ratio.value, np.demographic_parity_ratio],
      ['equalized_odds_difference', a.differences.equalized_odds_difference.value, np.equalized_odds_difference],
      ['tpr_difference (equal_opportunity_difference)', a.differences.equal_opportunity_difference.value, np.tpr_difference],
      ['fpr_difference', a.differences.fpr_difference.value, np.fpr_difference],
      ...Object.entries(np.groups).flatMap(([g, v]) => [
        [`${g} selection rate`, groupOf(g).selectionRate.value, v.selection_rate],
        [`${g} TPR`, groupOf(g).tpr.value, v.tpr],
        [`${g} FPR`, groupOf(g).fpr.value, v.fpr],
        [`${g} n`, groupOf(g).n, v.n],
      ]),
    ];
    const maxAbs = Math.max(...pairs.map(([, ours, ref]) => Math.abs(ours - ref)));
    const b = base[model];
    const vsBaseline = b
      ? Math.max(
          Math.abs(a.differences.demographic_parity_difference.value - b.dp),
          Math.abs(a.differences.equalized_odds_difference.value - b.eo),
        )
      : null;

    // Mitigation: thresholds chosen on the even test rows, evaluated on the odd ones (demographic parity, 0.02).
    const even = r.y_true.map((_, i) => i).filter((i) => i % 2 === 0);
    const odd = r.y_true.map((_, i) => i).filter((i) => i % 2 === 1);
    const v = toData(r, even);
    const e = toData(r, odd);
    const plan = mitigateThresholds(v.data, v.sex, { constraint: 'demographic_parity', tolerance: 0.02, attribute: 'sex' });
    const held = evaluateThresholdPlan(plan, e.data, e.sex);
    const eoPlan = mitigateThresholds(v.data, v.sex, { constraint: 'equal_opportunity', tolerance: 0.02, attribute: 'sex' });
    const eoHeld = evaluateThresholdPlan(eoPlan, e.data, e.sex);

    const row = {
      model,
      n: data.yTrue.length,
      accuracy: r.accuracy,
      recomputed,
      pairs,
      maxAbs,
      vsBaseline,
      baseline: b,
      auditMs,
      pythonSeconds: r.pythonSeconds,
      differences: a.differences,
      plan,
      held,
      eoPlan,
      eoHeld,
    };
    results.push(row);
    log(
      `\n${NAMES[model]} (${row.n} test rows, accuracy ${r.accuracy.toFixed(4)}; python train+predict ${r.pythonSeconds.toFixed(1)} s)`,
    );
    for (const [name, ours, ref] of pairs)
      log(`  ${name.padEnd(48)} mloop ${String(ours).padEnd(22)} numpy ${String(ref).padEnd(22)} |Δ| ${Math.abs(ours - ref)}`);
    log(
      `  max |mloop − numpy| = ${maxAbs}  (goal ≤ 1e-12: ${maxAbs <= 1e-12 ? 'met' : 'NOT MET'}); decisions recomputed from p agree: ${recomputed}`,
    );
    if (b)
      log(
        `  vs BASELINES.md (4 d.p.): DP ${b.dp} EO ${b.eo}; max |Δ| ${vsBaseline.toExponential(2)} (${vsBaseline <= 5e-5 ? 'agrees to rounding' : 'DIFFERS'})`,
      );
    const d = a.differences;
    log(
      `  bootstrap 95% (1000 resamples, seed 0): DP ${d.demographic_parity_difference.value.toFixed(4)} [${d.demographic_parity_difference.lower.toFixed(4)}, ${d.demographic_parity_difference.upper.toFixed(4)}], EO ${d.equalized_odds_difference.value.toFixed(4)} [${d.equalized_odds_difference.lower.toFixed(4)}, ${d.equalized_odds_difference.upper.toFixed(4)}]; audit ${auditMs.toFixed(0)} ms`,
    );
    log(`  mitigation DP ≤ 0.02 (chosen on even rows): ${plan.message}`);
    log(
      `    held-out odd rows: DP gap ${held.before.gap.toFixed(4)} → ${held.after.gap.toFixed(4)}, accuracy ${held.before.accuracy.toFixed(4)} → ${held.after.accuracy.toFixed(4)} (cost ${held.cost.accuracy.toFixed(4)})`,
    );
    log(
      `  mitigation EOpp ≤ 0.02: held-out TPR gap ${eoHeld.before.gap.toFixed(4)} → ${eoHeld.after.gap.toFixed(4)}, accuracy cost ${eoHeld.cost.accuracy.toFixed(4)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const m = machine();
const ok = results.every((r) => r.maxAbs <= 1e-12 && r.recomputed && (r.vsBaseline === null || r.vsBaseline <= 5e-5));
if (write) {
  const f4 = (x) => x.toFixed(4);
  const lines = [
    '# Fairness on UCI Adult: agreement with numpy, intervals, mitigation',
    '',
    `- date: ${m.date}`,
    `- machine: ${m.cpus}, ${m.memory_gib} GiB; Node ${m.node}; /usr/bin/python3 with scikit-learn 1.2.1, XGBoost 1.7.4, numpy 1.24.2`,
    `- git commit: ${m.commit}`,
    `- command: \`npm run build && node bench/fairness-adult.mjs${args.includes('--models') ? ` --models ${models.join(',')}` : ''}\``,
    "- data: /work/shared/datasets/adult (train adult.data, test adult.test); models trained by bench/fairness-adult.py through the peer script's own `load`/`build`/`fairness`; decision p ≥ 0.5; groups = `sex`",
    '',
    '## Agreement with the direct numpy computation (peers/adult_baselines.py `fairness`)',
    '',
    '| model | test rows | accuracy | DP diff (mloop) | EO diff (mloop) | DP ratio | max abs diff vs numpy (13 quantities) | BASELINES.md DP / EO | max abs diff vs BASELINES.md (4 d.p.) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${NAMES[r.model]} | ${r.n} | ${f4(r.accuracy)} | ${r.differences.demographic_parity_difference.value} | ${r.differences.equalized_odds_difference.value} | ${f4(r.differences.demographic_parity_ratio.value)} | ${r.maxAbs === 0 ? '0 (identical)' : r.maxAbs.toExponential(2)} | ${r.baseline ? `${r.baseline.dp} / ${r.baseline.eo}` : 'n/a'} | ${r.vsBaseline === null ? 'n/a' : r.vsBaseline.toExponential(2)} |`,
    ),
    '',
    'Quantities compared: DP difference, DP ratio, EO difference, TPR gap, FPR gap, and per group (Female, Male) selection rate, TPR, FPR, n.',
    '',
    '## Bootstrap intervals (1000 row resamples, seed 0, 95% percentile) and audit time',
    '',
    '| model | DP diff [95%] | EO diff [95%] | equal opportunity diff [95%] | accuracy diff [95%] | audit ms (incl. bootstrap) |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => {
      const d = r.differences;
      const ci = (x) => `${f4(x.value)} [${f4(x.lower)}, ${f4(x.upper)}]`;
      return `| ${NAMES[r.model]} | ${ci(d.demographic_parity_difference)} | ${ci(d.equalized_odds_difference)} | ${ci(d.equal_opportunity_difference)} | ${ci(d.accuracy_difference)} | ${r.auditMs.toFixed(0)} |`;
    }),
    '',
    '## Mitigation: group thresholds chosen on the even test rows, measured on the odd ones (tolerance 0.02)',
    '',
    '| model | constraint | thresholds (Female / Male) | gap on chosen rows before → after | held-out gap before → after | held-out accuracy before → after | held-out accuracy cost |',
    '|---|---|---|---|---|---|---|',
    ...results.flatMap((r) =>
      [
        ['demographic parity', r.plan, r.held],
        ['equal opportunity', r.eoPlan, r.eoHeld],
      ].map(
        ([name, plan, held]) =>
          `| ${NAMES[r.model]} | ${name} | ${f4(plan.thresholds.Female)} / ${f4(plan.thresholds.Male)} | ${f4(plan.validation.before.gap)} → ${f4(plan.validation.after.gap)} | ${f4(held.before.gap)} → ${f4(held.after.gap)} | ${f4(held.before.accuracy)} → ${f4(held.after.accuracy)} | ${f4(held.cost.accuracy)} |`,
      ),
    ),
    '',
    `Result: ${ok ? 'every figure agrees with numpy to ≤ 1e-12 and with BASELINES.md to its rounding.' : 'DISAGREEMENT — see the figures above.'}`,
    '',
  ];
  mkdirSync(join(here, '.out'), { recursive: true });
  writeFileSync(join(here, '.out', 'fairness-RESULTS.md'), lines.join('\n'));
  log('\nwrote bench/.out/fairness-RESULTS.md (paste it into bench/RESULTS.md)');
}
process.exit(ok ? 0 : 1);
