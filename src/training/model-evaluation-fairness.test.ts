import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MloopError } from '../errors/index.js';
import { mulberry32 } from '../stats/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { evaluateModel, parseGateFile, trainModel } from './index.js';

let t: TempWorkspace;
const deps = () => ({ datasets: t.ws.datasets, registry: t.ws.registry });
const failure = async (p: Promise<unknown>) => (await p.catch((e: unknown) => e)) as MloopError;

/** Binary tabular rows with two sensitive columns; the outcome leans on one of them. */
function peopleCsv(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines = ['x,sex,race,y'];
  for (let i = 0; i < n; i++) {
    const sex = rand() < 0.5 ? 'F' : 'M';
    const race = ['a', 'b', 'c'][Math.floor(rand() * 3)]!;
    const x = rand() * 10;
    const score = x + (sex === 'M' ? 1.5 : 0) + (rand() - 0.5) * 3;
    lines.push(`${x.toFixed(4)},${sex},${race},${score > 6 ? 'yes' : 'no'}`);
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  t = await tempWorkspace();
  writeFileSync(join(t.dir, 'people.csv'), peopleCsv(1200, 7));
  await t.ws.datasets.importFile({ file: join(t.dir, 'people.csv'), name: 'people', actor: 'test', roles: { label: ['y'], sensitive: ['sex', 'race'] } });
  writeFileSync(join(t.dir, 'people-test.csv'), peopleCsv(900, 8));
  await t.ws.datasets.importFile({ file: join(t.dir, 'people-test.csv'), name: 'people-test', actor: 'test', roles: { sensitive: ['sex', 'race'] } });
  await trainModel(deps(), { dataset: 'people@1', name: 'income', learner: 'linear', actor: 'test', seed: 1 });
}, 120_000);
afterAll(async () => t.cleanup());

describe('evaluateModel: intersectional fairness', () => {
  it("audits the intersections a gate's rules name (docs/fairness.md's gate example)", async () => {
    const gate = parseGateFile({
      name: 'fairness',
      rules: [
        { metric: 'fairness.equalized_odds_difference', attribute: 'sex', max: 1, bound: 'upper' },
        { metric: 'fairness.demographic_parity_ratio', attribute: 'sex&race', min: 0.01, if_insufficient: 'skip' },
        { metric: 'fairness.demographic_parity_difference', attribute: 'sex', beats_champion_by: -0.02 },
        { metric: 'fairness.accuracy_difference', attribute: 'race', max: 1 },
      ],
    });
    const e = await evaluateModel(deps(), { model: 'income@1', dataset: 'people-test@1', gate, replicates: 50 });
    expect(Object.keys(e.fairness!.attributes)).toEqual(['sex', 'race', 'sex&race']);
    const inter = e.fairness!.attributes['sex&race']!;
    expect(inter.groups.map((g) => g.group).sort()).toEqual(['F&a', 'F&b', 'F&c', 'M&a', 'M&b', 'M&c']);
    expect(inter.groups.reduce((s, g) => s + g.n, 0)).toBe(900);
    // the ratio is min/max of the groups' selection rates, and the rule reads it
    const rates = inter.groups.map((g) => g.selectionRate!.value);
    const ratio = inter.differences['demographic_parity_ratio']!.value!;
    expect(ratio).toBeCloseTo(Math.min(...rates) / Math.max(...rates), 12);
    const rule = e.gate!.rules[1]!;
    expect(rule).toMatchObject({ status: 'pass', observed: ratio });
    expect(e.gate!.rules.map((r) => r.status)).toEqual(['pass', 'pass', 'skip', 'pass']);

    // an intersection keeps the order written, so the rule finds it by its own name
    const reversed = parseGateFile({ rules: [{ metric: 'fairness.demographic_parity_ratio', attribute: 'race&sex', min: 0.999 }] });
    const r = await evaluateModel(deps(), { model: 'income@1', dataset: 'people-test@1', gate: reversed, sensitive: ['sex'], replicates: 0 });
    expect(Object.keys(r.fairness!.attributes)).toEqual(['sex', 'race', 'race&sex']);
    expect(r.gate!.rules[0]).toMatchObject({ status: 'fail' });
    expect(r.gate!.rules[0]!.message).toMatch(/demographic_parity_ratio for 'race&sex' = /);
  });

  it('audits an intersection asked for with sensitive (mloop eval --sensitive sex,race,sex&race)', async () => {
    const e = await evaluateModel(deps(), { model: 'income@1', dataset: 'people-test@1', sensitive: ['sex', 'race', 'sex&race'], replicates: 0 });
    expect(Object.keys(e.fairness!.attributes)).toEqual(['sex', 'race', 'sex&race']);
    const only = await evaluateModel(deps(), { model: 'income@1', dataset: 'people-test@1', sensitive: ['sex'], replicates: 0 });
    expect(Object.keys(only.fairness!.attributes)).toEqual(['sex']);
  });

  it('refuses malformed intersections and names an unknown column', async () => {
    const bad = (() => {
      try {
        parseGateFile({ rules: [{ metric: 'fairness.demographic_parity_ratio', attribute: 'sex&', min: 0.8 }, { metric: 'fairness.demographic_parity_ratio', attribute: 'sex&sex', min: 0.8 }] });
      } catch (e) {
        return e as MloopError;
      }
      return undefined;
    })();
    expect(bad?.code).toBe('INVALID_ARGUMENT');
    expect(bad?.details).toMatchObject({
      issues: [
        { path: 'rules.0.attribute', message: expect.stringMatching(/empty column name/) },
        { path: 'rules.1.attribute', message: "attribute 'sex&sex' names 'sex' twice" },
      ],
    });
    const twice = await failure(evaluateModel(deps(), { model: 'income@1', dataset: 'people-test@1', sensitive: ['sex&sex'], replicates: 0 }));
    expect(twice.code).toBe('INVALID_ARGUMENT');
    const unknown = await failure(evaluateModel(deps(), { model: 'income@1', dataset: 'people-test@1', sensitive: ['sex&nope'], replicates: 0 }));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toMatch(/nope/);
  });
});
