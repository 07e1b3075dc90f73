import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../../errors/index.js';
import { mulberry32 } from '../../stats/index.js';
import { buildModelCard, renderCardMarkdown } from '../../registry/index.js';
import { openWorkspace } from '../../workspace/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { runCliInProcess } from '../test-support/run-cli.js';

let t: TempWorkspace;

/** A binary tabular set where group b has lower scores (and base rate), so one threshold selects it less often. Labels are words (yes/no would be read as booleans). */
function loansCsv(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines = ['id,x1,x2,grp,y'];
  for (let i = 0; i < n; i++) {
    const grp = rand() < 0.5 ? 'a' : 'b';
    const x1 = rand() * 10 - (grp === 'b' ? 3 : 0);
    const x2 = rand() * 5;
    const z = x1 + x2 + (rand() - 0.5) * 4;
    lines.push(`${i},${x1.toFixed(3)},${x2.toFixed(3)},${grp},${z > 7 ? 'grant' : 'deny'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `mloop --workspace <t.dir> …` in this process (the project's in-process CLI runner). */
function mloop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInProcess(['--workspace', t.dir, ...args], { cwd: t.dir, env: {} });
}

beforeAll(async () => {
  t = await tempWorkspace();
  writeFileSync(join(t.dir, 'train.csv'), loansCsv(1200, 1));
  writeFileSync(join(t.dir, 'val.csv'), loansCsv(800, 2));
  const roles = { id: ['id'], label: ['y'], sensitive: ['grp'] };
  await t.ws.datasets.importFile({ file: join(t.dir, 'train.csv'), name: 'loans', actor: 'test', roles });
  await t.ws.datasets.importFile({ file: join(t.dir, 'val.csv'), name: 'loans-val', actor: 'test', roles });
  await t.ws.close();
  const trained = await mloop('train', 'loans@1', '--name', 'loans', '--learner', 'linear', '--target-precision', '0.9');
  expect(trained.code, trained.stderr).toBe(0);
}, 120_000);
afterAll(async () => t.cleanup().catch(() => undefined));

describe('mloop fairness mitigate', () => {
  it('chooses group thresholds for demographic parity and reports the accuracy cost', async () => {
    const r = await mloop('--json', 'fairness', 'mitigate', 'loans@1', 'loans-val@1', '--sensitive', 'grp', '--constraint', 'demographic_parity', '--tolerance', '0.03');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { model: string; dataset: string; feasible: boolean; attribute: string; thresholds: Record<string, number | null>; validation: { before: { gap: number; accuracy: number }; after: { gap: number; accuracy: number }; cost: { accuracy: number } } };
    expect(doc).toMatchObject({ model: 'loans@1', dataset: 'loans-val@1', attribute: 'grp', feasible: true });
    expect(Object.keys(doc.thresholds).sort()).toEqual(['a', 'b']);
    expect(doc.validation.before.gap).toBeGreaterThan(0.1);
    expect(doc.validation.after.gap).toBeLessThanOrEqual(0.03 + 1e-12);
    expect(doc.validation.cost.accuracy).toBeCloseTo(doc.validation.before.accuracy - doc.validation.after.accuracy, 12);

    const text = await mloop('fairness', 'mitigate', 'loans@1', 'loans-val@1', '--sensitive', 'grp', '--constraint', 'auto_share');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/auto_share by 'grp'/);
    expect(text.stdout).toMatch(/coverage/);
  });

  it('--apply registers a new version with the same files, the plan in its thresholds and its lineage; applying again returns it', async () => {
    const args = ['--json', 'fairness', 'mitigate', 'loans@1', 'loans-val@1', '--sensitive', 'grp', '--constraint', 'demographic_parity', '--tolerance', '0.03', '--apply'];
    const r = await mloop(...args);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { thresholds: Record<string, number | null>; validation: unknown; applied: { version: string; created: boolean } };
    expect(doc.applied.created).toBe(true);
    const again = JSON.parse((await mloop(...args)).stdout) as typeof doc;
    expect(again.applied).toEqual({ version: doc.applied.version, created: false });
    const ws = await openWorkspace({ workspace: t.dir, env: {} });
    const reg = ws.registry;
    const [source, derived] = [await reg.resolve('loans@1'), await reg.resolve(doc.applied.version)];
    expect(derived.version).toBeGreaterThan(source.version);
    expect(derived.artifacts.map((a) => a.sha256)).toEqual(source.artifacts.map((a) => a.sha256));
    expect(derived.record.thresholds!['confidence']).toBe(source.record.thresholds!['confidence']);
    const plan = derived.record.thresholds!['groups'] as { attribute: string; constraint: string; thresholds: Record<string, number | null> };
    expect(plan).toMatchObject({ attribute: 'grp', constraint: 'demographic_parity', thresholds: doc.thresholds });
    expect(derived.record.extra!['mitigation']).toMatchObject({ source: 'loans@1', dataset: 'loans-val@1', attribute: 'grp', validation: doc.validation });
    expect(derived.tags['mitigated_from']).toBe('loans@1');
    // The card says where the thresholds came from; the source's card has none.
    const card = await buildModelCard({ registry: reg, datasets: ws.datasets }, derived.ref);
    expect(card.mitigation).toMatchObject({ source: 'loans@1', dataset: 'loans-val@1', attribute: 'grp', constraint: 'demographic_parity', thresholds: doc.thresholds });
    expect(renderCardMarkdown(card)).toMatch(/## Fairness mitigation[\s\S]*\| a \| /);
    expect((await buildModelCard({ registry: reg, datasets: ws.datasets }, 'loans@1')).mitigation).toBeNull();
    await ws.close();
    const text = await mloop('fairness', 'mitigate', 'loans@1', 'loans-val@1', '--sensitive', 'grp', '--constraint', 'demographic_parity', '--tolerance', '0.03', '--apply');
    expect(text.stdout).toContain(`already registered as ${doc.applied.version}`);
  });

  it("--positive-label picks the favourable class, as the HTTP route's positive_label does", async () => {
    const args = ['fairness', 'mitigate', 'loans@1', 'loans-val@1', '--sensitive', 'grp', '--constraint', 'demographic_parity', '--tolerance', '0.03'];
    type Doc = { positiveLabel: string; thresholds: Record<string, number | null>; validation: { before: { rates: Record<string, number> } } };
    const grant = JSON.parse((await mloop('--json', ...args)).stdout) as Doc;
    const deny = await mloop('--json', ...args, '--positive-label', 'deny');
    expect(deny.code, deny.stderr).toBe(0);
    const doc = JSON.parse(deny.stdout) as Doc;
    expect(grant.positiveLabel).toBe('grant');
    expect(doc.positiveLabel).toBe('deny');
    // the selection rate is now that of 'deny': each group's complement of its 'grant' rate
    for (const g of ['a', 'b']) expect(doc.validation.before.rates[g]).toBeCloseTo(1 - grant.validation.before.rates[g]!, 12);
    const text = await mloop(...args, '--positive-label', 'deny');
    expect(text.stdout).toMatch(/demographic_parity by 'grp' \(tolerance 0\.03, favourable class 'deny'\)/);
    const unknown = await mloop(...args, '--positive-label', 'maybe');
    expect(unknown.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
    expect(unknown.stderr).toMatch(/positive label 'maybe' is not a class; classes: deny, grant/);
  });

  it('refuses an unknown column, an unknown constraint and a bad tolerance', async () => {
    const column = await mloop('fairness', 'mitigate', 'loans@1', 'loans-val@1', '--sensitive', 'nope', '--constraint', 'demographic_parity');
    expect(column.code).toBe(EXIT_CODE.NOT_FOUND);
    expect(column.stderr).toMatch(/error\[NOT_FOUND\].*nope/);
    const constraint = await mloop('fairness', 'mitigate', 'loans@1', 'loans-val@1', '--sensitive', 'grp', '--constraint', 'parity');
    expect(constraint.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
    expect(constraint.stderr).toMatch(/unknown constraint 'parity'; valid: demographic_parity, equal_opportunity, auto_share, auto_precision/);
    const tolerance = await mloop('fairness', 'mitigate', 'loans@1', 'loans-val@1', '--sensitive', 'grp', '--constraint', 'auto_share', '--tolerance', '2');
    expect(tolerance.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
  });
});
