import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readColumns } from '../datasets/index.js';
import { generateSupportRequests, supportRequestsToCsv } from '../demo/index.js';
import type { ClassificationReport } from '../evaluation/index.js';
import { applyThresholdPlan, planFromJson } from '../fairness/index.js';
import { mulberry32 } from '../stats/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { applyMitigation, classificationData, evaluateModel, loadModel, mitigateModel, trainModel } from './index.js';

let t: TempWorkspace;
const deps = () => ({ datasets: t.ws.datasets, registry: t.ws.registry });

/** Binary tabular rows whose outcome depends on x and, unevenly, on the group. */
function tabularCsv(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines = ['x,group,y'];
  for (let i = 0; i < n; i++) {
    const group = rand() < 0.5 ? 'a' : 'b';
    const x = rand() * 10;
    const score = x + (group === 'a' ? 2 : 0) + (rand() - 0.5) * 3;
    lines.push(`${x.toFixed(4)},${group},${score > 6 ? 'yes' : 'no'}`);
  }
  return lines.join('\n') + '\n';
}

/** The predictions eval makes on a dataset, computed independently of evaluateModel. */
async function predictionsOn(model: string, dataset: string, label: string, input: string, group: string) {
  const version = await t.ws.registry.resolve(model);
  const predictor = await loadModel(t.ws.registry, version);
  const read = await readColumns(t.ws.datasets, dataset, [label, input, group]);
  const keep = [...Array(read.rows).keys()].filter((i) => read.columns[label]!.values[i] !== null && read.columns[label]!.values[i] !== '');
  const inCol = read.columns[input]!;
  const batch = { [input]: inCol.kind === 'numeric' ? Float64Array.from(keep, (i) => inCol.values[i] as number) : keep.map((i) => (inCol.values[i] as string | null) ?? null) };
  const d = classificationData(predictor.classes!, keep.map((i) => String(read.columns[label]!.values[i])), predictor.predictProba(batch, keep.length));
  const groups = keep.map((i) => (read.columns[group]!.values[i] as string | null) ?? null);
  return { version, d, groups };
}

beforeAll(async () => {
  t = await tempWorkspace();
  writeFileSync(join(t.dir, 'support.csv'), supportRequestsToCsv(generateSupportRequests({ count: 1200, seed: 3 })));
  await t.ws.datasets.importFile({ file: join(t.dir, 'support.csv'), name: 'tickets', actor: 'test', roles: { text: ['text'], label: ['intent'], sensitive: ['region'] } });
  writeFileSync(join(t.dir, 'later.csv'), supportRequestsToCsv(generateSupportRequests({ count: 600, seed: 4 })));
  await t.ws.datasets.importFile({ file: join(t.dir, 'later.csv'), name: 'later', actor: 'test', roles: { sensitive: ['region'] } });
  // the same requests without the region column: every row falls back as in serving
  const rows = generateSupportRequests({ count: 600, seed: 4 }).map((r) => JSON.stringify({ text: r.text, intent: r.intent }));
  writeFileSync(join(t.dir, 'noregion.jsonl'), rows.join('\n') + '\n');
  await t.ws.datasets.importFile({ file: join(t.dir, 'noregion.jsonl'), name: 'noregion', actor: 'test' });
  writeFileSync(join(t.dir, 'tab.csv'), tabularCsv(1200, 5));
  await t.ws.datasets.importFile({ file: join(t.dir, 'tab.csv'), name: 'tab', actor: 'test', roles: { sensitive: ['group'] } });
  writeFileSync(join(t.dir, 'tab-later.csv'), tabularCsv(600, 6));
  await t.ws.datasets.importFile({ file: join(t.dir, 'tab-later.csv'), name: 'tablater', actor: 'test', roles: { sensitive: ['group'] } });
}, 120_000);
afterAll(async () => t.cleanup());

describe('evaluateModel on a mitigated version', () => {
  it('judges automation and per-group auto shares by the group thresholds', async () => {
    await trainModel(deps(), { dataset: 'tickets@1', name: 'support', targetPrecision: 0.95, actor: 'test', seed: 1 });
    const plan = await mitigateModel(deps(), { model: 'support@1', dataset: 'tickets@1', sensitive: 'region', constraint: 'auto_share', tolerance: 0.05 });
    expect(plan.plan.feasible).toBe(true);
    const { version } = await applyMitigation(deps(), 'test', plan);

    const { d, groups, version: v } = await predictionsOn(version.ref, 'later@1', 'intent', 'text', 'region');
    const stored = planFromJson(v.record.thresholds!['groups'])!;
    const { auto } = applyThresholdPlan(stored, d, groups);
    const e = await evaluateModel(deps(), { model: version.ref, dataset: 'later@1', replicates: 50 });
    const automation = (e.report as ClassificationReport).automation!;
    const autoCount = auto.reduce((s, a) => s + a, 0);
    expect(automation.auto).toBe(autoCount);
    let correct = 0;
    for (let i = 0; i < auto.length; i++) if (auto[i] === 1 && d.yPred[i] === d.yTrue[i]) correct++;
    expect(automation.precision.value).toBeCloseTo(correct / autoCount, 12);
    for (const g of e.fairness!.attributes['region']!.groups) {
      const rows = groups.flatMap((x, i) => (x === g.group ? [i] : []));
      expect(g.auto).toBe(rows.filter((i) => auto[i] === 1).length);
    }

    // the source version (no plan) keeps its single threshold
    const plain = await evaluateModel(deps(), { model: 'support@1', dataset: 'later@1', replicates: 50 });
    const single = d.confidence.reduce((s, c) => s + (c >= stored.baseThreshold ? 1 : 0), 0);
    expect((plain.report as ClassificationReport).automation!.auto).toBe(single);
    expect(single).not.toBe(autoCount);

    // data without the plan's column: the (missing) group's threshold, else the base threshold
    const none = await evaluateModel(deps(), { model: version.ref, dataset: 'noregion@1', replicates: 50 });
    const fallback = applyThresholdPlan(stored, d, new Array<string | null>(d.yTrue.length).fill(null)).auto.reduce((s, a) => s + a, 0);
    expect((none.report as ClassificationReport).automation!.auto).toBe(fallback);
  }, 120_000);

  it('judges a decision plan by the labels it chooses', async () => {
    await trainModel(deps(), { dataset: 'tab@1', name: 'loans', label: 'y', actor: 'test', seed: 1 });
    const plan = await mitigateModel(deps(), { model: 'loans@1', dataset: 'tab@1', sensitive: 'group', constraint: 'demographic_parity', tolerance: 0.05 });
    expect(plan.plan.feasible).toBe(true);
    const { version } = await applyMitigation(deps(), 'test', plan);

    const { d, groups, version: v } = await predictionsOn(version.ref, 'tablater@1', 'y', 'x', 'group');
    const stored = planFromJson(v.record.thresholds!['groups'])!;
    const { yPred } = applyThresholdPlan(stored, d, groups);
    const e = await evaluateModel(deps(), { model: version.ref, dataset: 'tablater@1', replicates: 50 });
    const acc = yPred.reduce((s, p, i) => s + (p === d.yTrue[i] ? 1 : 0), 0) / yPred.length;
    expect(e.report.metrics['accuracy']!.value).toBeCloseTo(acc, 12);
    for (const g of e.fairness!.attributes['group']!.groups) {
      const rows = groups.flatMap((x, i) => (x === g.group ? [i] : []));
      const pos = d.classes.indexOf(stored.positiveLabel!);
      expect(g.selectionRate!.value).toBeCloseTo(rows.filter((i) => yPred[i] === pos).length / rows.length, 12);
    }
    const plain = await evaluateModel(deps(), { model: 'loans@1', dataset: 'tablater@1', replicates: 50 });
    const plainAcc = d.yPred.reduce((s, p, i) => s + (p === d.yTrue[i] ? 1 : 0), 0) / d.yPred.length;
    expect(plain.report.metrics['accuracy']!.value).toBeCloseTo(plainAcc, 12);
    expect(plainAcc).not.toBeCloseTo(acc, 12);
  }, 120_000);
});
