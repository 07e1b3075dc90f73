import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSupportRequests, supportRequestsToCsv } from '../../demo/index.js';
import { EXIT_CODE } from '../../errors/index.js';
import { mulberry32 } from '../../stats/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { runCliInProcess } from '../test-support/run-cli.js';

let t: TempWorkspace;

/** y depends on x1 + x2 with noise; x3 is noise. */
function csv(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines = ['x1,x2,x3,y'];
  for (let i = 0; i < n; i++) {
    const x1 = rand() * 10;
    const x2 = rand() * 5;
    lines.push(`${x1.toFixed(3)},${x2.toFixed(3)},${rand().toFixed(3)},${x1 + x2 + (rand() - 0.5) * 4 > 7 ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `mloop --workspace <t.dir> …` in this process (the project's in-process CLI runner). */
function mloop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInProcess(['--workspace', t.dir, ...args], { cwd: t.dir, env: {} });
}

beforeAll(async () => {
  t = await tempWorkspace();
  writeFileSync(join(t.dir, 'train.csv'), csv(600, 1));
  await t.ws.datasets.importFile({ file: join(t.dir, 'train.csv'), name: 'points', actor: 'test', roles: { label: ['y'] } });
  await t.ws.close();
  writeFileSync(join(t.dir, 'grid.yaml'), 'l2:\n  - 0.01\n  - 1000000\n');
  writeFileSync(join(t.dir, 'bad-grid.json'), '{"l2": []}');
  // Support requests whose two first intents (sorted) are labelled 'oos'.
  const rows = generateSupportRequests({ count: 1200, seed: 3 });
  const oos = new Set([...new Set(rows.map((r) => r.intent))].sort().slice(0, 2));
  writeFileSync(join(t.dir, 'tickets.csv'), supportRequestsToCsv(rows.map((r) => (oos.has(r.intent) ? { ...r, intent: 'oos' as (typeof r)['intent'] } : r))));
}, 60_000);
afterAll(async () => t.cleanup().catch(() => undefined));

describe('mloop train --search', () => {
  it('cross-validates the grid on the training rows and trains with the best point', async () => {
    const r = await mloop('--json', 'train', 'points@1', '--name', 'p', '--learner', 'linear', '--search', '--grid', 'grid.yaml', '--folds', '4');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { search: { metric: string; folds: number; best: Record<string, unknown>; candidates: { params: Record<string, unknown>; mean: number }[] } };
    expect(doc.search).toMatchObject({ metric: 'accuracy', folds: 4, best: { l2: 0.01 } });
    expect(doc.search.candidates.map((c) => c.params)).toEqual([{ l2: 0.01 }, { l2: 1000000 }]);
    // An absurd penalty shrinks every weight to ~0: no better than the majority class.
    expect(doc.search.candidates[0]!.mean).toBeGreaterThan(doc.search.candidates[1]!.mean + 0.1);
    const shown = await mloop('--json', 'models', 'show', 'p@1');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('"l2": 0.01');
  });

  it('refuses a grid without --search, and a malformed grid', async () => {
    const a = await mloop('train', 'points@1', '--name', 'p', '--learner', 'linear', '--grid', 'grid.yaml');
    expect(a.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
    expect(a.stderr).toContain('--grid needs --search');
    const b = await mloop('train', 'points@1', '--name', 'p', '--learner', 'linear', '--search', '--grid', 'bad-grid.json');
    expect(b.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
    expect(b.stderr).toContain("'l2' must list at least one value");
  });
});

describe('mloop eval --slice', () => {
  it('labels regression slices with the metric they show (MAE), in the table and the model card', async () => {
    const r = await mloop('train', 'points@1', '--name', 'reg', '--label', 'x1', '--task', 'regression', '--features', 'x2,x3');
    expect(r.code, r.stderr).toBe(0);
    const e = await mloop('eval', 'reg@1', 'points@1', '--slice', 'y', '--save');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^slice +value +n +mae +note$/m);
    expect(e.stdout).not.toMatch(/^slice .*accuracy/m);
    const json = JSON.parse((await mloop('--json', 'eval', 'reg@1', 'points@1', '--slice', 'y')).stdout) as { slices: { value: string; metrics: Record<string, { value: number }> }[] };
    const first = json.slices[0]!;
    expect(e.stdout).toMatch(new RegExp(`^y +${first.value} +\\d+ +${first.metrics['mae']!.value.toFixed(4)} *$`, 'm'));
    const card = await mloop('models', 'card', 'reg@1');
    expect(card.code, card.stderr).toBe(0);
    expect(card.stdout).toContain('| slice | n | mae | note |');
    expect(card.stdout).toMatch(new RegExp(`^\\| y=${first.value} \\| \\d+ \\| ${first.metrics['mae']!.value.toFixed(4)} \\|`, 'm'));
  });
});

describe('mloop train --oos-label', () => {
  it('stores a max-logit rejection threshold that mloop eval applies', async () => {
    const imported = await mloop('data', 'import', join(t.dir, 'tickets.csv'), '--name', 'tickets', '--text', 'text', '--label', 'intent');
    expect(imported.code, imported.stderr).toBe(0);
    const r = await mloop('--json', 'train', 'tickets@1', '--name', 's', '--oos-label', 'oos', '--oos-min-in-scope', '0.8');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { out_of_scope: { label: string; score: string; rule: string; threshold: number; validation_in_scope_accuracy: number }; metrics: Record<string, number> };
    expect(doc.out_of_scope).toMatchObject({ label: 'oos', score: 'max_logit', rule: 'min-in-scope-accuracy' });
    expect(doc.out_of_scope.validation_in_scope_accuracy).toBeGreaterThanOrEqual(0.8);
    expect(typeof doc.metrics['oos_recall']).toBe('number');
    const e = await mloop('--json', 'eval', 's@1', 'tickets@1');
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout) as { out_of_scope: { score: string; threshold: number } };
    expect(ev.out_of_scope).toMatchObject({ score: 'max_logit', threshold: doc.out_of_scope.threshold });
    const text = await mloop('eval', 's@1', 'tickets@1');
    expect(text.stdout).toMatch(/out of scope \(max_logit ≥ .* without rejection, .* with rejection; out-of-scope recall/);
    // log_loss has no probability for a label the model does not know: it leaves those rows out.
    expect(text.stdout).toMatch(/out-of-scope rows; accuracy, macro_f1 and ece above count them as wrong, log_loss leaves them out\)/);
    expect(text.stdout).not.toContain('which the metrics above count as wrong');
  });

  it('refuses an unknown rule and a floor outside (0, 1]', async () => {
    const a = await mloop('train', 'tickets@1', '--name', 's', '--oos-label', 'oos', '--oos-rule', 'nope');
    expect(a.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
    expect(a.stderr).toContain('known rules: balanced, accuracy, min-in-scope-accuracy');
    const b = await mloop('train', 'tickets@1', '--name', 's', '--oos-label', 'oos', '--oos-min-in-scope', '2');
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain('--oos-min-in-scope must be a number in (0, 1]');
  });
});
