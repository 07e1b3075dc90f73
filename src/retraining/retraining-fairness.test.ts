/**
 * Fairness gates in retraining: the evaluation of a retrained challenger carries the evaluation
 * dataset's sensitive columns, so a `fairness.*` rule blocks a challenger that widens a group gap
 * (nothing promoted, the reason recorded) and passes one that does not.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSupportRequests, supportRequestsToCsv } from '../demo/index.js';
import type { FairnessReport } from '../fairness/index.js';
import { trainModel } from '../training/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';

let t: TempWorkspace;
const settings = { label: 'intent', text: 'text', seed: 1 };
const roles = { text: ['text'], label: ['intent'], id: ['id'], sensitive: ['region'] };
let champion = 0;

beforeAll(async () => {
  t = await tempWorkspace();
  const write = async (name: string, count: number, seed: number) => {
    const file = join(t.dir, `${name}.csv`);
    writeFileSync(file, supportRequestsToCsv(generateSupportRequests({ count, seed, launch: false })));
    await t.ws.datasets.importFile({ file, name, actor: 'test', roles });
  };
  await write('tickets', 1500, 3);
  await write('later', 800, 4);
  // The same evaluation rows with no column marked sensitive.
  const plain = join(t.dir, 'later.csv');
  await t.ws.datasets.importFile({ file: plain, name: 'later-plain', actor: 'test', roles: { text: ['text'], label: ['intent'], id: ['id'] } });
  // The south region (the generator's harder one) left out of training.
  await t.ws.datasets.derive({ sql: `SELECT * FROM {tickets@1} WHERE region <> 'south'`, name: 'few-south', actor: 'test' });
  const r = await trainModel({ datasets: t.ws.datasets, registry: t.ws.registry }, { dataset: 'tickets@1', name: 'router', ...settings, actor: 'test' });
  await t.ws.registry.setAlias('test', 'router', 'champion', r.version.version, 'first model');
  champion = r.version.version;
}, 300_000);
afterAll(async () => t?.cleanup());

const policy = (dataset: string, rule: Record<string, unknown>) => ({
  model: 'router',
  training: { dataset, settings },
  evaluation: { dataset: 'later@1' },
  gate: { name: 'parity', rules: [{ metric: 'fairness.accuracy_difference', attribute: 'region', ...rule }] },
  promotion: 'auto',
});

const gapOf = (evaluation: unknown) => (evaluation as { fairness: FairnessReport | null }).fairness?.attributes['region']?.differences['accuracy_difference'];

describe('retraining with a fairness gate', () => {
  it('blocks a challenger that widens the regional accuracy gap: nothing promoted, the reason recorded', async () => {
    await t.ws.retraining.setPolicy('test', policy('few-south', { beats_champion_by: 0 }));
    const run = await t.ws.retraining.run({ key: 'few-south-1', model: 'router', actor: 'test' });
    expect(run.state).toBe('gate_failed');
    expect(run.reason).toMatch(/gate 'parity' failed: .*accuracy_difference for 'region'/);
    expect(run.steps.find((s) => s.step === 'promote')!.status).toBe('skipped');
    expect((await t.ws.registry.getModel('router')).aliases['champion']).toBe(champion);
    // The saved evaluations carry the groups, challenger and champion alike.
    const [mine] = await t.ws.registry.evaluations(run.challenger!);
    const [theirs] = await t.ws.registry.evaluations(`router@${champion}`);
    const wide = gapOf(await t.ws.registry.readEvaluation(mine!))!;
    const narrow = gapOf(await t.ws.registry.readEvaluation(theirs!))!;
    expect(wide.min!.group).toBe('south');
    expect(wide.value!).toBeGreaterThan(narrow.value!);
  }, 300_000);

  it('passes a challenger within the limit, with the fairness rule checked (not skipped)', async () => {
    await t.ws.retraining.setPolicy('test', policy('tickets', { max: 1 }));
    const run = await t.ws.retraining.run({ key: 'tickets-1', model: 'router', actor: 'test' });
    expect(run.state).toBe('promoted');
    const gate = run.steps.find((s) => s.step === 'gate')!;
    expect(gate.reason).toMatch(/1 rules passed, 0 skipped/);
    const [mine] = await t.ws.registry.evaluations(run.challenger!);
    expect(Object.keys((await t.ws.registry.readEvaluation(mine!)) as object)).toContain('fairness');
    expect(gapOf(await t.ws.registry.readEvaluation(mine!))!.value).not.toBeNull();
  }, 300_000);

  it('audits the columns a fairness rule names even when the evaluation data marks none, for the champion too', async () => {
    await t.ws.retraining.setPolicy('test', { ...policy('tickets', { max: 1 }), evaluation: { dataset: 'later-plain@1' } });
    const run = await t.ws.retraining.run({ key: 'plain-1', model: 'router', actor: 'test' });
    expect(run.state, run.reason).toBe('promoted');
    // A champion without a plan: no note.
    expect(run.steps.find((s) => s.step === 'evaluate')!.reason).not.toContain('note:');
    const evaluate = run.steps.find((s) => s.step === 'evaluate')!.details as { champion: { ref: string; evaluation: string } };
    const saved = (await t.ws.registry.evaluations(evaluate.champion.ref)).find((e) => e.id === evaluate.champion.evaluation)!;
    expect(gapOf(await t.ws.registry.readEvaluation(saved))!.value).not.toBeNull();
  }, 300_000);

  it('audits an intersection a rule names (region&channel) for the challenger and the champion alike', async () => {
    await t.ws.retraining.setPolicy('test', { ...policy('tickets', { max: 1 }), gate: { name: 'parity', rules: [{ metric: 'fairness.accuracy_difference', attribute: 'region&channel', max: 1 }] } });
    const run = await t.ws.retraining.run({ key: 'intersection-1', model: 'router', actor: 'test' });
    expect(run.state, run.reason).toBe('promoted');
    const evaluate = run.steps.find((s) => s.step === 'evaluate')!.details as { challenger: { ref: string; evaluation: string }; champion: { ref: string; evaluation: string } };
    for (const side of [evaluate.challenger, evaluate.champion]) {
      const saved = (await t.ws.registry.evaluations(side.ref)).find((e) => e.id === side.evaluation)!;
      const fairness = ((await t.ws.registry.readEvaluation(saved)) as { fairness: FairnessReport | null }).fairness;
      expect(Object.keys(fairness?.attributes ?? {}), side.ref).toContain('region&channel');
    }
  }, 300_000);

  it('says when the champion serves a mitigation plan that the retrained challenger does not carry', async () => {
    const current = await t.ws.registry.resolve('router@champion');
    const plan = { kind: 'automation', attribute: 'region', constraint: 'auto_share', tolerance: 0.02, baseThreshold: 0.9, positiveLabel: null, targetPrecision: 0.95, thresholds: { north: 0.9, south: 0.8 }, adjusted: ['north', 'south'], unadjusted: [], feasible: true, validation: {}, message: 'test' };
    const mitigated = await t.ws.registry.deriveVersion('test', current, { record: { ...current.record, thresholds: { ...current.record.thresholds, groups: plan } } });
    await t.ws.registry.setAlias('test', 'router', 'champion', mitigated.version.version, 'mitigated');
    await t.ws.retraining.setPolicy('test', policy('tickets', { max: 1 }));
    const run = await t.ws.retraining.run({ key: 'after-mitigation-1', model: 'router', actor: 'test' });
    const evaluate = run.steps.find((s) => s.step === 'evaluate')!;
    expect(evaluate.reason).toContain(`note: ${mitigated.version.ref} serves group thresholds (fairness mitigation) and ${run.challenger} does not`);
    expect(evaluate.details['mitigation_not_carried']).toBe(true);
  }, 300_000);
});
