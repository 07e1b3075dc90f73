/** Out-of-scope rejection through `trainModel` and `evaluateModel`: chosen on validation data, stored, applied with the same score. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSupportRequests, supportRequestsToCsv, type SupportRequest } from '../demo/index.js';
import type { MloopError } from '../errors/index.js';
import { buildModelCard, renderCardMarkdown } from '../registry/index.js';
import type { ClassificationReport } from '../evaluation/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { evaluateModel, loadModel, predictWithInScope, storedOutOfScope, trainModel } from './index.js';

let t: TempWorkspace;
const deps = () => ({ datasets: t.ws.datasets, registry: t.ws.registry });
const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as MloopError).code;

/** Support requests whose first two intents (sorted) the model must treat as out of scope, labelled `oos`. */
function withOos(rows: SupportRequest[], oosIntents: ReadonlySet<string>): SupportRequest[] {
  return rows.map((r) => (oosIntents.has(r.intent) ? { ...r, intent: 'oos' as SupportRequest['intent'] } : r));
}

let oosIntents: Set<string>;
beforeAll(async () => {
  t = await tempWorkspace();
  const train = generateSupportRequests({ count: 1500, seed: 3 });
  oosIntents = new Set([...new Set(train.map((r) => r.intent))].sort().slice(0, 2));
  const write = async (name: string, rows: SupportRequest[], roles?: { text: string[]; label: string[] }) => {
    const file = join(t.dir, `${name}.csv`);
    writeFileSync(file, supportRequestsToCsv(rows));
    await t.ws.datasets.importFile({ file, name, actor: 'test', ...(roles ? { roles } : {}) });
  };
  await write('oostrain', withOos(train, oosIntents), { text: ['text'], label: ['intent'] });
  await write('ooslater', withOos(generateSupportRequests({ count: 600, seed: 4 }), oosIntents));
  // The same requests with their real intents: the two intents are labels the model never saw.
  await write('unseen', generateSupportRequests({ count: 600, seed: 4 }));
}, 120_000);
afterAll(async () => t.cleanup());

describe('out-of-scope rejection', () => {
  it('leaves oos rows out of training, stores a max-logit threshold chosen on validation, and eval applies it', async () => {
    const r = await trainModel(deps(), { dataset: 'oostrain@1', name: 'scoped', seed: 1, targetPrecision: 0.9, outOfScope: { label: 'oos', minInScopeAccuracy: 0.8 }, actor: 'test' });
    const classes = r.version.record.classes!;
    expect(classes).not.toContain('oos');
    expect(classes.some((c) => oosIntents.has(c))).toBe(false);
    expect(r.warnings.some((w) => /labelled 'oos' \(out of scope\) were left out of training/.test(w))).toBe(true);
    expect(r.outOfScope).toMatchObject({ label: 'oos', score: 'max_logit', rule: 'min-in-scope-accuracy', achievable: true });
    expect(r.outOfScope!.validation.inScopeAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(r.outOfScope!.validation.outOfScope).toBeGreaterThan(10);
    expect(r.metrics['oos_recall']).toBe(r.outOfScope!.validation.outOfScopeRecall);
    const stored = storedOutOfScope(r.version.record.thresholds)!;
    expect(stored).toMatchObject({ label: 'oos', score: 'max_logit', threshold: r.outOfScope!.threshold, min_in_scope_accuracy: 0.8 });
    expect(r.version.record.thresholds!['confidence']).toBe(r.threshold!.threshold);

    // Eval: the report's figures at the stored threshold, recomputed here from the loaded model's own scores.
    const e = await evaluateModel(deps(), { model: 'scoped@1', dataset: 'ooslater@1', replicates: 50 });
    const rep = e.report as ClassificationReport;
    expect(rep.outOfScope).toBeDefined();
    expect(rep.outOfScope!.score).toBe('max_logit');
    expect(rep.outOfScope!.threshold).toBe(stored.threshold);
    const predictor = await loadModel(t.ws.registry, r.version);
    const later = withOos(generateSupportRequests({ count: 600, seed: 4 }), oosIntents);
    const { proba, inScope } = predictWithInScope(predictor, { text: later.map((x) => x.text) }, later.length);
    const k = classes.length;
    let inScopeRows = 0;
    let acceptedRight = 0;
    let oosRows = 0;
    let oosRejected = 0;
    let auto = 0;
    later.forEach((x, i) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c;
      const accepted = inScope[i]! >= stored.threshold!;
      if (accepted && proba[i * k + best]! >= r.threshold!.threshold) auto++;
      if (x.intent === 'oos') {
        oosRows++;
        if (!accepted) oosRejected++;
      } else {
        inScopeRows++;
        if (accepted && classes[best] === x.intent) acceptedRight++;
      }
    });
    expect(rep.outOfScope!.inScope).toBe(inScopeRows);
    expect(rep.outOfScope!.outOfScope).toBe(oosRows);
    expect(rep.outOfScope!.inScopeAccuracy.value).toBeCloseTo(acceptedRight / inScopeRows, 12);
    expect(rep.outOfScope!.outOfScopeRecall.value).toBeCloseTo(oosRejected / oosRows, 12);
    expect(rep.outOfScope!.outOfScopeRecall.value).toBeGreaterThan(0.3);
    // Automation counts a row rejected as out of scope as sent to people, as serving does.
    expect(rep.automation!.auto).toBe(auto);

    // Labels the model never saw are out of scope without naming them.
    const u = (await evaluateModel(deps(), { model: 'scoped@1', dataset: 'unseen@1', replicates: 50 })).report as ClassificationReport;
    expect(u.outOfScope!.outOfScope).toBe(oosRows);
    expect(u.outOfScope!.outOfScopeRecall.value).toBeCloseTo(oosRejected / oosRows, 12);
  });

  it('takes validation labels unseen in training as out of scope, with the balanced rule by default', async () => {
    const r = await trainModel(deps(), { dataset: 'oostrain@1', name: 'scoped-unseen', validation: 'unseen@1', seed: 1, outOfScope: {}, actor: 'test' });
    expect(r.outOfScope).toMatchObject({ label: null, rule: 'balanced', score: 'max_logit' });
    // 'oos' training rows stay a class here: no label was named, so only the unseen intents are out of scope.
    expect(r.version.record.classes).toContain('oos');
    expect(r.outOfScope!.validation.outOfScope).toBe(generateSupportRequests({ count: 600, seed: 4 }).filter((x) => oosIntents.has(x.intent)).length);
  });

  it("shows the stored threshold on the model card beside automation, and none for a version without one", async () => {
    const stored = storedOutOfScope((await t.ws.registry.resolve('scoped@1')).record.thresholds)!;
    const card = await buildModelCard(deps(), 'scoped@1');
    expect(card.outOfScope).toEqual({
      score: 'max_logit',
      threshold: stored.threshold,
      achievable: true,
      rule: 'min-in-scope-accuracy',
      minInScopeAccuracy: 0.8,
      label: 'oos',
      validationInScopeAccuracy: stored.validation.in_scope_accuracy,
      validationOutOfScopeRecall: stored.validation.out_of_scope_recall,
      validationInScope: stored.validation.in_scope,
      validationOutOfScope: stored.validation.out_of_scope,
    });
    expect(card.automation?.targetPrecision).toBe(0.9);
    const md = renderCardMarkdown(card);
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    expect(md).toContain(`rows whose \`max_logit\` is below ${stored.threshold!.toPrecision(6)} go to review (rule min-in-scope-accuracy, in-scope accuracy floor 80.0%)`);
    expect(md).toContain(`in-scope accuracy with rejection ${pct(stored.validation.in_scope_accuracy)}, out-of-scope recall ${pct(stored.validation.out_of_scope_recall)}`);
    // Out of scope without a target precision: no automation line made of dashes.
    const unseen = await buildModelCard(deps(), 'scoped-unseen@1');
    expect(unseen.automation).toBeNull();
    expect(unseen.outOfScope).toMatchObject({ label: null, rule: 'balanced', minInScopeAccuracy: null });
    expect(renderCardMarkdown(unseen)).toMatch(/No target precision was set[\s\S]*Out of scope \(labels unseen in training\)/);
    // A threshold no rule reached rejects nothing, and the card says so.
    const none = renderCardMarkdown({ ...card, outOfScope: { ...card.outOfScope!, threshold: null, achievable: false } });
    expect(none).toContain('nothing is rejected as out of scope');
    const plain = await trainModel(deps(), { dataset: 'oostrain@1', name: 'plain', seed: 1, actor: 'test' });
    const plainCard = await buildModelCard(deps(), plain.version.ref);
    expect(plainCard.outOfScope).toBeNull();
    expect(renderCardMarkdown(plainCard)).not.toContain('Out of scope (');
  });

  it("monitoring calibrates its accuracy estimate on every stored validation row, out-of-scope ones included", async () => {
    // On purpose (docs/monitoring.md): the estimate is of accuracy over traffic at the validation's out-of-scope share.
    const stored = storedOutOfScope((await t.ws.registry.resolve('scoped@1')).record.thresholds)!;
    const e = await t.ws.monitoring.estimateLatest({ model: 'scoped@1', last: '2001-01-03T00:00:00.000Z' });
    expect(e.calibration).toEqual({ source: 'validation', n: stored.validation.in_scope + stored.validation.out_of_scope });
    expect(e.predictions).toBe(0);
  });

  it('refuses out-of-scope requests it cannot honour', async () => {
    // No unseen labels in a holdout of the training data, and no label named.
    expect(await code(trainModel(deps(), { dataset: 'oostrain@1', name: 'bad', outOfScope: {}, actor: 'test' }))).toBe('INVALID_ARGUMENT');
    // A label that no row has.
    expect(await code(trainModel(deps(), { dataset: 'oostrain@1', name: 'bad', outOfScope: { label: 'nonexistent' }, actor: 'test' }))).toBe('INVALID_ARGUMENT');
    expect(await code(trainModel(deps(), { dataset: 'oostrain@1', name: 'bad', outOfScope: { label: 'oos', minInScopeAccuracy: 1.5 }, actor: 'test' }))).toBe('INVALID_ARGUMENT');
    expect(await code(trainModel(deps(), { dataset: 'oostrain@1', name: 'bad', outOfScope: { label: 'oos', rule: 'min-in-scope-accuracy' }, actor: 'test' }))).toBe('INVALID_ARGUMENT');
    expect(await code(trainModel(deps(), { dataset: 'oostrain@1', name: 'bad', outOfScope: { label: 'oos', rule: 'nope' as never }, actor: 'test' }))).toBe('INVALID_ARGUMENT');
    expect(await code(t.ws.registry.getModel('bad'))).toBe('NOT_FOUND');
  });

  it('reads only well-formed stored thresholds', () => {
    expect(storedOutOfScope(undefined)).toBeNull();
    expect(storedOutOfScope({ out_of_scope: { score: 'other', threshold: 1 } })).toBeNull();
    expect(storedOutOfScope({ out_of_scope: { score: 'max_logit', threshold: 'x' } })).toBeNull();
    expect(storedOutOfScope({ out_of_scope: { score: 'max_logit', threshold: null } })?.threshold).toBeNull();
  });
});
