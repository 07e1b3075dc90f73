import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MloopError } from '../errors/index.js';
import { mulberry32 } from '../stats/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { compareDatasets } from './index.js';

let t: TempWorkspace;

function csv(n: number, seed: number, shift: number): string {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const lines = ['id,stable,moving,color,note'];
  for (let i = 0; i < n; i++) {
    const color = rand() < (shift > 0 ? 0.7 : 0.3) ? 'red' : 'blue';
    lines.push(`${i},${normal().toFixed(5)},${(normal() + shift).toFixed(5)},${color},${rand() < 0.5 ? 'hello there' : 'general kenobi'}`);
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  t = await tempWorkspace();
  for (const [name, seed, shift] of [['ref', 1, 0], ['same', 2, 0], ['shifted', 3, 0.5]] as const) {
    const file = join(t.dir, `${name}.csv`);
    writeFileSync(file, csv(3000, seed, shift));
    await t.ws.datasets.importFile({ file, name, actor: 'test', roles: { id: ['id'] } });
  }
}, 60_000);
afterAll(async () => t.cleanup());

describe('compareDatasets', () => {
  it('raises no alarm for data from the same distribution', async () => {
    const r = await compareDatasets(t.ws.datasets, { reference: 'ref@1', current: 'same@1', policy: { bootstrap: 300 } });
    expect(r.features.map((f) => f.name)).toEqual(['stable', 'moving', 'color', 'note']);
    expect(r.features.filter((f) => f.drift)).toEqual([]);
    expect(r.dataset_drift).toMatchObject({ drifted: 0, total: 4, detected: false });
  });

  it('flags the shifted columns only, with statistic, p-value and effect size', async () => {
    const r = await compareDatasets(t.ws.datasets, { reference: 'ref@1', current: 'shifted@1', policy: { bootstrap: 300 } });
    const drifted = r.features.filter((f) => f.drift).map((f) => f.name);
    expect(drifted.sort()).toEqual(['color', 'moving']);
    const moving = r.features.find((f) => f.name === 'moving')!;
    expect(moving.test).toBe('drift:ks');
    expect(moving.statistic).toBeGreaterThan(0.1);
    expect(moving.p_value).toBeLessThan(1e-6);
    expect(r.features.find((f) => f.name === 'color')!.test).toBe('drift:chi2');
  });

  it('refuses to compare a version with itself, also when a bare name means the latest version', async () => {
    for (const seed of [4, 5]) {
      const file = join(t.dir, `twice-${seed}.csv`);
      writeFileSync(file, csv(300, seed, 0));
      await t.ws.datasets.importFile({ file, name: 'twice', actor: 'test', roles: { id: ['id'] } });
    }
    for (const [reference, current] of [['twice', 'twice@2'], ['twice@2', 'twice'], ['ref@1', 'ref@1']] as const) {
      await expect(compareDatasets(t.ws.datasets, { reference, current })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('are the same version') });
    }
    const r = await compareDatasets(t.ws.datasets, { reference: 'twice@1', current: 'twice', policy: { bootstrap: 100 } });
    expect([r.reference, r.current]).toEqual(['twice@1', 'twice@2']);
  });

  it('names a missing column', async () => {
    const err = (await compareDatasets(t.ws.datasets, { reference: 'ref@1', current: 'same@1', columns: ['nope'] }).catch((e: unknown) => e)) as MloopError;
    expect(err.code).toBe('NOT_FOUND');
  });

  it('reports a column whose type changed as a schema change, not as drift', async () => {
    const lines = ['id,stable,moving,color,note'];
    for (let i = 0; i < 300; i++) lines.push(`${i},${i % 2 ? 'b' : 'y'},${(i / 300).toFixed(3)},red,hello`);
    const file = join(t.dir, 'retyped.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    await t.ws.datasets.importFile({ file, name: 'retyped', actor: 'test', roles: { id: ['id'] } });
    const r = await compareDatasets(t.ws.datasets, { reference: 'ref@1', current: 'retyped@1', columns: ['stable', 'moving'], policy: { bootstrap: 100 } });
    expect(r.features.map((f) => f.name)).toEqual(['moving']);
    expect(r.schema_changes).toEqual([{ name: 'stable', reference_type: 'numeric', current_type: 'categorical' }]);
    expect(r.dataset_drift.total).toBe(1);
    // Same kinds: no schema change.
    expect((await compareDatasets(t.ws.datasets, { reference: 'ref@1', current: 'same@1', policy: { bootstrap: 100 } })).schema_changes).toEqual([]);
    // Nothing comparable left: refused, naming the change.
    const err = (await compareDatasets(t.ws.datasets, { reference: 'ref@1', current: 'retyped@1', columns: ['stable'] }).catch((e: unknown) => e)) as MloopError;
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain("schema change, 'stable' is numeric in ref@1 but categorical in retyped@1");
  });
});
