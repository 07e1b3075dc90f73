import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from '../cli/test-support/run-cli.js';
import { runDemo } from './index.js';

const parent = mkdtempSync(join(tmpdir(), 'mloop-demo-test-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('mloop demo', () => {
  it('runs every step of the story on a new workspace', async () => {
    const events: string[] = [];
    const result = await runDemo({ dir: join(parent, 'a'), count: 800, onStep: (e) => events.push(`${e.phase}:${e.name}`) });
    expect(result.workspace).toBe(join(parent, 'a'));
    const names = result.steps.map((s) => s.name);
    expect(names.slice(0, 2)).toEqual(['workspace', 'generate-data']);
    expect(names).toContain('api');
    expect(names.indexOf('fairness-gate')).toBe(names.indexOf('register') + 1);
    for (const s of result.steps) {
      expect(s.ok, `${s.name}: ${s.summary}`).toBe(true);
      expect(s.summary.length).toBeGreaterThan(10);
    }
    expect(events[0]).toBe('start:workspace');
    const gen = result.steps.find((s) => s.name === 'generate-data')!;
    expect(gen.details['rows']).toBe(800);
    const api = result.steps.find((s) => s.name === 'api')!;
    expect(api.details).toMatchObject({ readyz: 200, status_without_token: 401, status_with_token: 200 });
  });

  it('refuses a folder that is a workspace already, as a failed first step', async () => {
    await runDemo({ dir: join(parent, 'b'), count: 200 });
    await expect(runDemo({ dir: join(parent, 'b'), count: 200 })).rejects.toThrow(/demo step 'workspace' failed/);
  });

  it('--json prints exactly one JSON document with the workspace and its steps', async () => {
    const r = await runCli(['demo', '--json', '--rows', '300', '--dir', join(parent, 'c')], { cwd: parent });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { workspace: string; steps: Array<{ name: string; ok: boolean; summary: string; details: object }> };
    expect(doc.workspace).toBe(join(parent, 'c'));
    expect(doc.steps.every((s) => s.ok && typeof s.summary === 'string' && typeof s.details === 'object')).toBe(true);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});
