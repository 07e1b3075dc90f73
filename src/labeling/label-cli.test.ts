/** `mloop label …` in-process: the JSON shapes the issue names, human output and exit codes. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.js';
import { initWorkspace } from '../workspace/index.js';

let dir: string;
let ws: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mloop-label-cli-'));
  ws = join(dir, 'ws');
  await initWorkspace(ws, { env: {} });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['--workspace', ws, ...args], { stdout, stderr, env: {}, cwd: dir });
  return { code, stdout: out, stderr: err };
}

describe('mloop label', () => {
  it('creates a project, imports answers, and prints consensus, agreement, stats and an export', async () => {
    const rows = ['item_id,text'];
    for (let i = 0; i < 12; i++) rows.push(`t${i},text number ${i}`);
    writeFileSync(join(dir, 'items.csv'), `${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'guide.md'), '# Guide\nPick **yes** when in doubt.\n');
    expect((await cli('data', 'import', join(dir, 'items.csv'), '--name', 'items')).code).toBe(0);
    const created = await cli(
      'label',
      'create',
      'yn',
      '--dataset',
      'items',
      '--labels',
      'yes,no',
      '--id',
      'item_id',
      '--show',
      'text',
      '--overlap',
      '3',
      '--instructions',
      'guide.md',
      '--json',
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: 'yn',
      dataset: 'items@1',
      labels: ['yes', 'no'],
      overlap: 3,
      instructions: expect.stringContaining('Pick'),
    });
    const answers = ['item,worker,label'];
    for (let i = 0; i < 12; i++)
      for (const w of ['w1', 'w2', 'w3'])
        answers.push(`t${i},${w},${(i + (w === 'w3' && i % 3 === 0 ? 1 : 0)) % 2 === 0 ? 'yes' : 'no'}`);
    writeFileSync(join(dir, 'answers.csv'), `${answers.join('\n')}\n`);
    const imported = await cli('label', 'import-answers', 'yn', 'answers.csv', '--json');
    expect(JSON.parse(imported.stdout)).toMatchObject({ inserted: 36, existing: 0, changed: [] });
    writeFileSync(
      join(dir, 'changed.csv'),
      `item,worker,label\nt1,w1,${answers[4]!.endsWith('yes') ? 'no' : 'yes'}\nt1,w2,${answers[5]!.split(',')[2]}\n`,
    );
    const changed = await cli('label', 'import-answers', 'yn', 'changed.csv');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain("Imported 0 answers into 'yn' (1 were there already).");
    expect(changed.stdout).toContain('1 answers differ from the answer their worker gave before and were not imported');
    expect(changed.stdout).toContain(`item 't1', worker 'w1': kept '${answers[4]!.split(',')[2]}'`);

    const mv = JSON.parse((await cli('label', 'consensus', 'yn', '--method', 'mv', '--json')).stdout) as {
      method: string;
      items: Array<{ item: string; label: string; confidence: number }>;
    };
    expect(mv.method).toBe('majority-vote');
    expect(mv.items).toHaveLength(12);
    expect(mv.items[0]).toMatchObject({ item: 't0', label: 'yes' });
    expect(mv.items[0]!.confidence).toBeCloseTo(2 / 3, 10);
    const ds = JSON.parse((await cli('label', 'consensus', 'yn', '--method', 'ds', '--json')).stdout) as {
      method: string;
      items: unknown[];
    };
    expect(ds.method).toBe('dawid-skene');

    const agreement = JSON.parse((await cli('label', 'agreement', 'yn', '--replicates', '100', '--json')).stdout) as Record<
      string,
      unknown
    >;
    expect(Object.keys(agreement)).toEqual(expect.arrayContaining(['fleiss_kappa', 'krippendorff_alpha', 'cohen_kappa_pairs']));
    expect(typeof agreement['fleiss_kappa']).toBe('number');
    expect((agreement['cohen_kappa_pairs'] as unknown[]).length).toBe(3);

    const stats = await cli('label', 'stats', 'yn', '--replicates', '50');
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain('12/12 items complete');
    const queue = JSON.parse((await cli('label', 'queue', 'yn', '--json')).stdout) as { items: Array<{ item: string }> };
    expect(queue.items.length).toBe(0); // mv confidence 2/3 < 0.7 only under mv; default is ds
    const adj = await cli('label', 'adjudicate', 'yn', 't0', 'no', '--note', 'checked');
    expect(adj.stdout).toContain("is 'no' (final");
    expect((await cli('label', 'adjudicate', 'yn', 't0', 'yes')).code).toBe(5); // CONFLICT

    const exported = JSON.parse((await cli('label', 'export', 'yn', '--name', 'items-labelled', '--json')).stdout) as {
      rows: number;
      version: { ref: string; lineage: { parents: string[]; transform: { kind: string; project: string } } };
    };
    expect(exported).toMatchObject({
      rows: 12,
      version: { ref: 'items-labelled@1', lineage: { parents: ['items@1'], transform: { kind: 'label-export', project: 'yn' } } },
    });
    const list = JSON.parse((await cli('label', 'list', '--json')).stdout) as { projects: Array<{ name: string }> };
    expect(list.projects.map((p) => p.name)).toEqual(['yn']);
  });

  it('fails with the right codes: unknown project, bad flags, bad file', async () => {
    const missing = await cli('label', 'stats', 'nope');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("error[NOT_FOUND]: labeling project 'nope' not found");
    expect((await cli('label', 'consensus', 'yn', '--method', 'vote')).code).toBe(2);
    expect((await cli('label', 'create', 'z', '--dataset', 'items', '--labels', 'a,b', '--gold-rate', '1.5')).code).toBe(2);
    expect((await cli('label', 'import-answers', 'yn', 'missing.csv')).code).toBe(3);
    const phantom = await cli('label', 'pause', 'yn', 'W1');
    expect(phantom.code).toBe(3);
    expect(phantom.stderr).toContain("error[NOT_FOUND]: annotator 'yn/W1' not found");
    expect((await cli('label', 'resume', 'yn', 'nobody')).code).toBe(3);
    expect((await cli('label', 'stats', 'yn', '--json')).stdout).not.toContain('W1');
    expect((await cli('label', 'pause', 'yn', 'w1')).code).toBe(0);
    expect((await cli('label', 'resume', 'yn', 'w1')).code).toBe(0);
    const emptyColumn = await cli('label', 'export', 'yn', '--name', 'x', '--label-column', '');
    expect(emptyColumn.code).toBe(2);
    expect(emptyColumn.stderr).toContain('error[INVALID_ARGUMENT]: the label column name has 1 to 60 characters');
    writeFileSync(join(dir, 'bad.csv'), 'item,worker,label\nt1,w9,maybe\n');
    const bad = await cli('label', 'import-answers', 'yn', 'bad.csv');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('maybe');
  });
});
