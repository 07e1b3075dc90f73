import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSupportRequests, supportRequestsToCsv } from '../demo/index.js';
import type { MloopError } from '../errors/index.js';
import { parseGate, type ClassificationReport } from '../evaluation/index.js';
import { mulberry32 } from '../stats/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { buildModelCard, renderCardHtml, renderCardMarkdown } from '../registry/index.js';
import { evaluateModel, getLearner, holdout, loadModel, parseGateFile, trainModel } from './index.js';

let t: TempWorkspace;
const deps = () => ({ datasets: t.ws.datasets, registry: t.ws.registry });
const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as MloopError).code;

/** A tabular set where y depends on x1, a category and missingness, plus a numeric target. */
function tabularCsv(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines = ['id,x1,x2,color,group,y,amount'];
  for (let i = 0; i < n; i++) {
    const x1 = rand() * 10;
    const x2 = rand() < 0.2 ? '' : (rand() * 5).toFixed(3);
    const color = ['red', 'green', 'blue'][Math.floor(rand() * 3)]!;
    const group = rand() < 0.5 ? 'a' : 'b';
    const score = x1 + (color === 'red' ? 3 : 0) + (x2 === '' ? 2 : 0) + (rand() - 0.5) * 2;
    lines.push(`${i},${x1.toFixed(4)},${x2},${color},${group},${score > 7 ? 'yes' : 'no'},${(2 * x1 + (color === 'blue' ? 5 : 0) + rand()).toFixed(3)}`);
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  t = await tempWorkspace();
  const support = join(t.dir, 'support.csv');
  writeFileSync(support, supportRequestsToCsv(generateSupportRequests({ count: 1500, seed: 3 })));
  await t.ws.datasets.importFile({ file: support, name: 'tickets', actor: 'test', roles: { text: ['text'], label: ['intent'], sensitive: ['region'] } });
  const later = join(t.dir, 'later.csv');
  writeFileSync(later, supportRequestsToCsv(generateSupportRequests({ count: 600, seed: 4 })));
  await t.ws.datasets.importFile({ file: later, name: 'later', actor: 'test' });
  const tab = join(t.dir, 'tab.csv');
  writeFileSync(tab, tabularCsv(1500, 5));
  await t.ws.datasets.importFile({ file: tab, name: 'tab', actor: 'test', roles: { id: ['id'], sensitive: ['group'] } });
  writeFileSync(join(t.dir, 'one.csv'), 'text,label\nhello,a\nworld,a\nfoo,a\nbar,a\n');
  await t.ws.datasets.importFile({ file: join(t.dir, 'one.csv'), name: 'one', actor: 'test' });
}, 120_000);
afterAll(async () => t.cleanup());

describe('trainModel', () => {
  it('stops with CANCELLED and registers nothing when the signal is aborted', async () => {
    const ac = new AbortController();
    const run = trainModel(deps(), { dataset: 'tab@1', name: 'cancelled', label: 'y', actor: 'test' }, { signal: ac.signal, onProgress: (p) => p.stage === 'reading' && ac.abort() });
    expect(await code(run)).toBe('CANCELLED');
    expect(await code(trainModel(deps(), { dataset: 'tickets@1', name: 'cancelled', actor: 'test' }, { signal: AbortSignal.abort() }))).toBe('CANCELLED');
    expect(await code(t.ws.registry.getModel('cancelled'))).toBe('NOT_FOUND');
  });

  it('trains a text classifier, stores a threshold at a target precision, and evaluates it', async () => {
    const r = await trainModel(deps(), { dataset: 'tickets@1', name: 'support', targetPrecision: 0.95, actor: 'test', seed: 1 });
    expect(r.task).toBe('text-classification');
    expect(r.version.ref).toBe('support@1');
    expect(r.metrics['accuracy']).toBeGreaterThan(0.8);
    expect(r.rows.train + r.rows.validation).toBe(1500);
    expect(r.threshold!.achievable).toBe(true);
    expect(r.version.record).toMatchObject({ datasets: ['tickets@1'], label: 'intent', learner: 'text-softmax', seed: 1 });
    expect(r.version.record.thresholds!['confidence']).toBe(r.threshold!.threshold);
    // The text learner trains on every training row and fits its temperature on the validation rows.
    const learnerReport = (r.version.record.extra as { learner_report: { trainRows: number; calibrationRows: number } }).learner_report;
    expect(learnerReport).toMatchObject({ trainRows: r.rows.train, calibrationRows: r.rows.validation });

    const e = await evaluateModel(deps(), { model: 'support@1', dataset: 'later@1', slices: ['region'], replicates: 200 });
    expect(e.report.n).toBe(600);
    expect(e.report.metrics['accuracy']!.value).toBeGreaterThan(0.8);
    expect(e.threshold?.source).toBe('stored');
    const rep = e.report as ClassificationReport;
    expect(rep.automation!.precision.value).toBeGreaterThan(0.9);
    expect(rep.slices.map((s) => s.column)).toEqual(['region', 'region', 'region', 'region']);

    const strict = await evaluateModel(deps(), { model: 'support', dataset: 'later@1', targetPrecision: 0.999999, replicates: 50 });
    expect(strict.threshold!.source).toBe('target-precision');
  });

  it('audits sensitive columns and checks fairness rules in gates', async () => {
    const strict = parseGateFile({ rules: [{ metric: 'accuracy', min: 0.5 }, { metric: 'fairness.accuracy_difference', attribute: 'region', max: 0 }] });
    const e = await evaluateModel(deps(), { model: 'support@1', dataset: 'tickets@1', gate: strict, replicates: 100 });
    expect(Object.keys(e.fairness!.attributes)).toEqual(['region']);
    expect(e.fairness!.attributes['region']!.groups.map((g) => g.group).sort()).toEqual(['east', 'north', 'south', 'west']);
    expect(e.gate!.rules.map((r) => r.status)).toEqual(['pass', 'fail']);
    const lenient = parseGateFile({ rules: [{ metric: 'fairness.accuracy_difference', attribute: 'region', max: 0.5 }] });
    expect((await evaluateModel(deps(), { model: 'support@1', dataset: 'tickets@1', gate: lenient, replicates: 100 })).gate!.passed).toBe(true);
    expect(() => parseGateFile({ rules: [{ metric: 'fairness.nope', attribute: 'region', max: 1 }] })).toThrow(/unknown fairness metric/);
  });

  it('builds a model card from recorded evidence, in Markdown and safe HTML', async () => {
    await t.ws.registry.describe('support', { intendedUse: 'Route support requests <script>alert(1)</script>', outOfScopeUse: 'Legal complaints' });
    const gate = parseGateFile({ name: 'release', rules: [{ metric: 'accuracy', min: 0.5 }, { metric: 'fairness.accuracy_difference', attribute: 'region', max: 0 }] });
    const e = await evaluateModel(deps(), { model: 'support@1', dataset: 'later@1', slices: ['region'], gate, replicates: 100 });
    await t.ws.registry.recordEvaluation('qa', e.model, e.dataset, e, { accuracy: e.report.metrics['accuracy']!.value }, e.gate!.passed);
    const card = await buildModelCard(deps(), 'support@1');
    expect(card.training.datasets[0]).toMatchObject({ ref: 'tickets@1', rows: 1500 });
    expect(card.validation.metrics['accuracy']!.lower).not.toBeNull();
    expect(card.automation!.achievable).toBe(true);
    expect(card.evaluations[0]!.dataset).toBe('later@1');
    expect(card.evaluations[0]!.gate!.passed).toBe(false);
    expect(card.limitations.join(' ')).toMatch(/Gate 'release' failed on later@1/);
    const md = renderCardMarkdown(card);
    expect(md).toContain('## Training data');
    expect(md).toContain('| tickets@1 | 1500 |');
    expect(md).toMatch(/accuracy \| 0\.\d{4} \(95% CI/);
    const html = renderCardHtml(card);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain("Content-Security-Policy");
  });

  it('gives identical predictions after loading the stored version', async () => {
    const v = await t.ws.registry.resolve('support@1');
    const a = await loadModel(t.ws.registry, v);
    const batch = { text: ['i forgot my password', 'where is my parcel', null] };
    const b = await loadModel(t.ws.registry, v);
    expect(Array.from(a.predictProba(batch, 3))).toEqual(Array.from(b.predictProba(batch, 3)));
    expect(a.classes).toEqual(v.record.classes);
  });

  it("keeps a yes/no label's own strings as the model's classes, from the CSV import to the trained model", async () => {
    const rand = mulberry32(11);
    const rows = Array.from({ length: 60 }, (_, i) => {
      const x = rand() * 10;
      return `${i % 2 === 0 ? x.toFixed(3) : (x + 0.5).toFixed(3)},${x > 5 ? 'yes' : 'no'},${x > 5 ? 'true' : 'false'}`;
    });
    const file = join(t.dir, 'yesno.csv');
    writeFileSync(file, `x,answer,flag\n${rows.join('\n')}\n`);
    const labelled = await t.ws.datasets.importFile({ file, name: 'yesno', actor: 'test', roles: { label: ['answer'] } });
    const schema = Object.fromEntries(labelled.version.schema.map((c) => [c.name, c]));
    expect(schema['answer']).toMatchObject({ physicalType: 'VARCHAR', type: 'categorical' });
    expect(schema['flag']).toMatchObject({ physicalType: 'BOOLEAN', type: 'boolean' });
    const yes = await trainModel(deps(), { dataset: 'yesno@1', name: 'yesno', label: 'answer', features: ['x'], learner: 'linear', actor: 'test' });
    expect(yes.version.record.classes).toEqual(['no', 'yes']);
    // A boolean label's classes are true/false, never 0/1, and evaluation reads it the same way.
    const tf = await trainModel(deps(), { dataset: 'yesno@1', name: 'truefalse', label: 'flag', features: ['x'], learner: 'linear', actor: 'test' });
    expect(tf.version.record.classes).toEqual(['false', 'true']);
    const e = await evaluateModel(deps(), { model: 'truefalse@1', dataset: 'yesno@1', replicates: 0 });
    expect(e.report.n).toBe(60);
    expect(e.report.metrics['accuracy']!.value).toBeGreaterThan(0.9);
  });

  it('trains gradient-boosted trees on tabular data, keeping ids and sensitive columns out', async () => {
    const r = await trainModel(deps(), { dataset: 'tab@1', name: 'churn', label: 'y', features: ['x1', 'x2', 'color'], actor: 'test' });
    expect(r.task).toBe('tabular-classification');
    expect(r.learner).toBe('gbdt');
    expect(r.metrics['accuracy']).toBeGreaterThan(0.75);
    expect(r.metrics['roc_auc']).toBeGreaterThan(0.8);
    const auto = await trainModel(deps(), { dataset: 'tab@1', name: 'churn-auto', label: 'y', actor: 'test' });
    expect(auto.version.record.inputSchema.map((c) => c.name).sort()).toEqual(['amount', 'color', 'x1', 'x2']);
    expect(auto.warnings.join(' ')).toMatch(/'group' is sensitive/);
    const lin = await trainModel(deps(), { dataset: 'tab@1', name: 'churn-linear', label: 'y', features: ['x1', 'color'], learner: 'linear', actor: 'test' });
    expect(lin.metrics['accuracy']).toBeGreaterThan(0.7);
    const gate = parseGate({ rules: [{ metric: 'accuracy', min: 0.99 }] });
    const gated = await evaluateModel(deps(), { model: 'churn@1', dataset: 'tab@1', gate, replicates: 50 });
    expect(gated.gate!.passed).toBe(false);
  });

  it('trains a regressor when the label is numeric', async () => {
    const r = await trainModel(deps(), { dataset: 'tab@1', name: 'amount', label: 'amount', features: ['x1', 'color'], actor: 'test' });
    expect(r.task).toBe('regression');
    expect(r.metrics['r2']).toBeGreaterThan(0.9);
    const e = await evaluateModel(deps(), { model: 'amount', dataset: 'tab@1', replicates: 50 });
    expect(e.report.metrics['rmse']!.value).toBeLessThan(2);
  });

  it('keeps the defaults for learner settings that are not given, so the model loads', async () => {
    const r = await trainModel(deps(), { dataset: 'tickets@1', name: 'words-only', params: { tfidf: { blocks: [{ analyzer: 'word', ngramRange: [1, 2], minDf: 2 }] } }, actor: 'test' });
    const model = await loadModel(t.ws.registry, r.version);
    expect(model.predictProba({ text: ['i forgot my password'] }, 1)).toHaveLength(model.classes!.length);
  });

  it('refuses bad requests with clear errors', async () => {
    expect(await code(trainModel(deps(), { dataset: 'one@1', name: 'x', label: 'label', text: 'text', actor: 't' }))).toBe('INVALID_ARGUMENT');
    expect(await code(trainModel(deps(), { dataset: 'tab@1', name: 'x', label: 'nope', actor: 't' }))).toBe('NOT_FOUND');
    expect(await code(trainModel(deps(), { dataset: 'tab@1', name: 'x', label: 'y', features: ['group'], actor: 't' }))).toBe('INVALID_ARGUMENT');
    expect(await code(trainModel(deps(), { dataset: 'tab@1', name: 'x', label: 'y', learner: 'text-softmax', actor: 't' }))).toBe('INVALID_ARGUMENT');
    expect(await code(trainModel(deps(), { dataset: 'tab@9', name: 'x', label: 'y', actor: 't' }))).toBe('NOT_FOUND');
    expect(await code(trainModel(deps(), { dataset: 'tab@1', name: 'Bad/Name', label: 'y', actor: 't' }))).toBe('INVALID_ARGUMENT');
    expect(await code(trainModel(deps(), { dataset: 'tab@1', name: 'x', label: 'y', task: 'vision' as never, actor: 't' }))).toBe('INVALID_ARGUMENT');
  });

  it('lists only learners that train, and refuses onnx (imports only) before reading the data', async () => {
    const unknown = (await trainModel(deps(), { dataset: 'tab@1', name: 'x', label: 'y', learner: 'xgboost', actor: 't' }).catch((e: unknown) => e)) as MloopError;
    expect(unknown.message).toBe("unknown learner 'xgboost' for tabular-classification; valid learners: gbdt, linear");
    const onnx = (await trainModel(deps(), { dataset: 'tab@1', name: 'x', label: 'y', learner: 'onnx', actor: 't' }, { onProgress: (p) => expect(p.stage).not.toBe('reading') }).catch((e: unknown) => e)) as MloopError;
    expect(onnx.code).toBe('INVALID_ARGUMENT');
    expect(onnx.message).toBe("the 'onnx' learner runs imported models and does not train; learners that train tabular-classification: gbdt, linear");
    expect(onnx.hint).toContain('mloop models import');
    // Loading a stored version still finds the onnx learner.
    expect(getLearner('onnx', 'regression', 'load').id).toBe('onnx');
  });

  it('refuses learner parameters the learner does not read, in the config and the grid, before training', async () => {
    const typo = (await trainModel(deps(), { dataset: 'tab@1', name: 'typo', label: 'y', params: { learning_rate: 0.5 }, actor: 't' }).catch((e: unknown) => e)) as MloopError;
    expect(typo.code).toBe('INVALID_ARGUMENT');
    expect(typo.message).toContain("unknown gbdt parameter 'learning_rate' (did you mean 'learningRate'?)");
    const grid = (await trainModel(deps(), { dataset: 'tab@1', name: 'typo', label: 'y', search: { grid: { maxLeaves: [15], bogusParam: [1, 2] } }, actor: 't' }).catch((e: unknown) => e)) as MloopError;
    expect(grid.message).toContain("'bogusParam' in the search grid");
    expect(await code(t.ws.registry.getModel('typo'))).toBe('NOT_FOUND');
  });
});

describe('holdout', () => {
  it('is stratified, seeded and keeps single-example classes in training', () => {
    const labels = [...Array(50).fill('a'), ...Array(30).fill('b'), 'c'];
    const s1 = holdout(labels, 0.2, 7, true);
    expect(s1.validation.filter((i) => labels[i] === 'a')).toHaveLength(10);
    expect(s1.validation.filter((i) => labels[i] === 'b')).toHaveLength(6);
    expect(s1.train).toContain(80);
    expect(holdout(labels, 0.2, 7, true)).toEqual(s1);
    expect(holdout(labels, 0.2, 8, true)).not.toEqual(s1);
    expect(new Set([...s1.train, ...s1.validation]).size).toBe(labels.length);
  });
});
