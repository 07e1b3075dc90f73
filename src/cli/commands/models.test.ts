/** `mloop models show` in-process: the human output of one version. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../../errors/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { runCliInProcess } from '../test-support/run-cli.js';

let t: TempWorkspace;

function mloop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInProcess(['--workspace', t.dir, ...args], { cwd: t.dir, env: {} });
}

beforeAll(async () => {
  t = await tempWorkspace();
  const lines = ['size,colour,y'];
  for (let i = 0; i < 200; i++) lines.push(`${i % 17},${i % 3 === 0 ? 'red' : 'blue'},${i % 17 > 8 ? 'big' : 'small'}`);
  writeFileSync(join(t.dir, 'things.csv'), `${lines.join('\n')}\n`);
  await t.ws.datasets.importFile({ file: join(t.dir, 'things.csv'), name: 'things', actor: 'test', roles: { label: ['y'] } });
  await t.ws.close();
  const trained = await mloop('train', 'things@1', '--name', 'things', '--learner', 'linear');
  if (trained.code !== 0) throw new Error(trained.stderr);
}, 60_000);
afterAll(async () => t.cleanup().catch(() => undefined));

describe('mloop models show', () => {
  it("lists a version's input columns with their types, as the serving docs promise", async () => {
    const shown = await mloop('models', 'show', 'things@1');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^input columns: size \(\w+[^)]*\), colour \(\w+[^)]*\)$/m);
  });

  it('answers NOT_FOUND for a version that does not exist', async () => {
    const missing = await mloop('models', 'show', 'things@9');
    expect(missing.code).toBe(EXIT_CODE.NOT_FOUND);
  });
});
