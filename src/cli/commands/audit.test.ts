import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../../errors/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { runCliInProcess } from '../test-support/run-cli.js';

let t: TempWorkspace;
beforeAll(async () => {
  t = await tempWorkspace();
  await t.ws.auth.recordAudit({ actor: 'olga', action: 'approval.approve', target: 'model:support', details: { approval: 'apr_1', comment: 'holdout better' } });
});
afterAll(async () => t?.cleanup());

describe('mloop audit', () => {
  it('prints the audit log newest first, filtered by target', async () => {
    const r = await runCliInProcess(['--workspace', t.dir, '--json', 'audit', '--target', 'model:support'], { cwd: t.dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { entries: Array<{ actor: string; action: string; details: Record<string, unknown> }> };
    expect(doc.entries).toEqual([expect.objectContaining({ actor: 'olga', action: 'approval.approve', details: { approval: 'apr_1', comment: 'holdout better' } })]);
    const all = await runCliInProcess(['--workspace', t.dir, 'audit'], { cwd: t.dir });
    expect(all.stdout).toMatch(/approval\.approve[\s\S]*user\.create/);
  });

  it('refuses a limit out of range', async () => {
    const r = await runCliInProcess(['--workspace', t.dir, 'audit', '--limit', '0'], { cwd: t.dir });
    expect(r.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
  });
});
