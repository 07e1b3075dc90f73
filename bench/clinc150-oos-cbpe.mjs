#!/usr/bin/env node
// node bench/clinc150-oos-cbpe.mjs (SEED=1 for another seed; TEXT_BENCH_DIST for another build). Data read from /work/shared.
// CBPE on CLINC150 for an out-of-scope model: calibration fitted on validation predictions with or
// without the oos_val rows, estimate vs realized accuracy (oos rows count as wrong, as monitoring does).
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const DIST = process.env.TEXT_BENCH_DIST ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { trainTextClassifier } = await import(`${DIST}/training/text/index.js`);
const { fitConfidenceCalibration, calibrate } = await import(`${DIST}/monitoring/performance/performance.js`);
const j = JSON.parse(readFileSync('/work/shared/datasets/clinc150/data_full.json', 'utf8'));
const split = (k) => ({ texts: j[k].map((r) => r[0]), labels: j[k].map((r) => r[1]) });
const train = split('train'), val = split('val'), oosVal = split('oos_val'), test = split('test'), oosTest = split('oos_test');
const seed = Number(process.env.SEED ?? 0);
const { model } = await trainTextClassifier(train.texts, train.labels, { validation: val, softmax: { seed } });
const pred = (s) => model.predict(s.texts).map((p, i) => ({ conf: p.confidence, ok: p.label === s.labels[i] }));
const pv = pred(val), po = pred(oosVal), pt = pred(test), pot = pred(oosTest);
const calIn = fitConfidenceCalibration(pv.map((p) => p.conf), pv.map((p) => p.ok));
const all = [...pv, ...po];
const calAll = fitConfidenceCalibration(all.map((p) => p.conf), all.map((p) => p.ok));
const est = (cal, rows) => rows.reduce((s, p) => s + calibrate(cal, p.conf), 0) / rows.length;
const real = (rows) => rows.filter((p) => p.ok).length / rows.length;
// Traffic mixes: in-scope only; the validation's OOS share (3.2 %); test's (18.2 %); 50 %.
const mix = (share) => { const nO = Math.round((share * pt.length) / (1 - share)); return [...pt, ...pot.slice(0, Math.min(nO, pot.length))]; };
console.log(`seed ${seed}: val ${pv.length} + oos_val ${po.length}`);
for (const [name, rows] of [['in-scope only', pt], ['OOS 3.2 % (as validation)', mix(0.032)], ['OOS 18.2 % (test + oos_test)', [...pt, ...pot]]]) {
  console.log(`${name}: n ${rows.length} realized ${real(rows).toFixed(4)} | CBPE calibrated on val+oos_val ${est(calAll, rows).toFixed(4)} | on val in-scope only ${est(calIn, rows).toFixed(4)} | identity ${est(null, rows).toFixed(4)}`);
}
