/** Label-error detection over out-of-fold probabilities: planted flips rank first, per-seed determinism, bad input. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.js';
import { SUPPORT_INTENTS, generateSupportRequests, supportRequestsToCsv } from '../demo/index.js';
import type { MloopError } from '../errors/index.js';
import { mulberry32 } from '../stats/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { findDatasetLabelIssues, stratifiedFolds } from './index.js';

let t: TempWorkspace;
const deps = () => ({ datasets: t.ws.datasets });
const failure = async (p: Promise<unknown>) => (await p.catch((e: unknown) => e)) as MloopError;
/** Ids of the rows whose label was flipped on purpose. */
const flipped = new Set<string>();
const tabFlipped = new Set<string>();

beforeAll(async () => {
  t = await tempWorkspace();
  const rows = generateSupportRequests({ count: 800, seed: 11, labelNoise: 0, vagueRate: 0 });
  const rand = mulberry32(7);
  for (const r of rows) {
    if (rand() >= 0.05) continue;
    const others = SUPPORT_INTENTS.filter((i) => i !== r.intent);
    r.intent = others[Math.floor(rand() * others.length)]!;
    flipped.add(r.id);
  }
  writeFileSync(join(t.dir, 'noisy.csv'), supportRequestsToCsv(rows));
  await t.ws.datasets.importFile({ file: join(t.dir, 'noisy.csv'), name: 'noisy', actor: 'test', roles: { id: ['id'], text: ['text'], label: ['intent'] } });

  // Tabular: y = x1 > 5 exactly, then 5% flipped; ids are 'r<i>'.
  const tab = ['key,x1,x2,y'];
  for (let i = 0; i < 400; i++) {
    const x1 = rand() * 10;
    let y = x1 > 5 ? 'hi' : 'lo';
    if (rand() < 0.05 && Math.abs(x1 - 5) > 1) {
      y = y === 'hi' ? 'lo' : 'hi';
      tabFlipped.add(`r${i}`);
    }
    tab.push(`r${i},${x1.toFixed(4)},${rand().toFixed(4)},${y}`);
  }
  writeFileSync(join(t.dir, 'tab.csv'), `${tab.join('\n')}\n`);
  await t.ws.datasets.importFile({ file: join(t.dir, 'tab.csv'), name: 'tab', actor: 'test', roles: { id: ['key'], label: ['y'] } });

  writeFileSync(join(t.dir, 'one.csv'), 'text,label\nhello,a\nworld,a\nfoo,a\nbar,a\nbaz,a\nqux,a\n');
  await t.ws.datasets.importFile({ file: join(t.dir, 'one.csv'), name: 'one', actor: 'test' });
  const few = ['text,label'];
  for (let i = 0; i < 20; i++) few.push(`common words ${i},a`);
  few.push('rare one,b', 'rare two,b', 'rare three,b');
  writeFileSync(join(t.dir, 'few.csv'), `${few.join('\n')}\n`);
  await t.ws.datasets.importFile({ file: join(t.dir, 'few.csv'), name: 'few', actor: 'test' });
}, 120_000);
afterAll(async () => t.cleanup());

describe('stratifiedFolds', () => {
  it('spreads every class evenly over the folds and depends only on the seed', () => {
    const labels = [...Array(23).fill('a'), ...Array(7).fill('b')] as string[];
    const f = stratifiedFolds(labels, 5, 3);
    for (const c of ['a', 'b']) {
      const per = [0, 0, 0, 0, 0];
      labels.forEach((l, i) => l === c && per[f[i]!]!++);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    expect([...stratifiedFolds(labels, 5, 3)]).toEqual([...f]);
    expect([...stratifiedFolds(labels, 5, 4)]).not.toEqual([...f]);
  });
});

describe('findDatasetLabelIssues', () => {
  it('ranks the planted label flips of a text set at the top', async () => {
    const r = await findDatasetLabelIssues(deps(), { dataset: 'noisy@1', folds: 5, seed: 1 });
    expect(r).toMatchObject({ task: 'text-classification', label: 'intent', inputs: ['text'], learner: 'text-softmax', idColumn: 'id', folds: 5 });
    expect(r.rows.labelled).toBe(800);
    expect(flipped.size).toBeGreaterThan(20);
    const top = r.issues.slice(0, flipped.size);
    const precision = top.filter((i) => flipped.has(i.id)).length / flipped.size;
    // Chance is about 5%; confident learning should find most flips.
    expect(precision, `precision@${flipped.size} ${precision}`).toBeGreaterThan(0.6);
    const recall = r.issues.filter((i) => flipped.has(i.id)).length / flipped.size;
    expect(recall).toBeGreaterThan(0.6);
    for (const i of top) {
      expect(i.suggestedLabel).not.toBe(i.givenLabel);
      expect(i.id).toMatch(/^req-\d+$/);
    }
    for (let j = 1; j < r.issues.length; j++) expect(r.issues[j]!.margin).toBeGreaterThanOrEqual(r.issues[j - 1]!.margin);
  }, 120_000);

  it('finds flips in a tabular set with ids from the id column, and is deterministic per seed', async () => {
    const a = await findDatasetLabelIssues(deps(), { dataset: 'tab@1', learner: 'linear', folds: 3, seed: 5 });
    expect(a).toMatchObject({ task: 'tabular-classification', inputs: ['x1', 'x2'], idColumn: 'key', classes: ['hi', 'lo'] });
    expect(tabFlipped.size).toBeGreaterThan(5);
    const top = a.issues.slice(0, tabFlipped.size);
    expect(top.filter((i) => tabFlipped.has(i.id)).length / tabFlipped.size).toBeGreaterThan(0.6);
    const b = await findDatasetLabelIssues(deps(), { dataset: 'tab@1', learner: 'linear', folds: 3, seed: 5 });
    expect(b.issues).toEqual(a.issues);
    expect(b.confidentJoint).toEqual(a.confidentJoint);
  }, 120_000);

  it('rejects one class, too few rows per fold, unknown columns, bad folds and numeric labels with clear errors', async () => {
    const one = await failure(findDatasetLabelIssues(deps(), { dataset: 'one@1', label: 'label', text: 'text' }));
    expect(one.code).toBe('INVALID_ARGUMENT');
    expect(one.message).toMatch(/one class only \(a\)/);
    const few = await failure(findDatasetLabelIssues(deps(), { dataset: 'few@1', label: 'label', text: 'text', folds: 5 }));
    expect(few.code).toBe('INVALID_ARGUMENT');
    expect(few.message).toMatch(/too few rows per fold.*'b' has 3/);
    const unknown = await failure(findDatasetLabelIssues(deps(), { dataset: 'noisy@1', label: 'nope' }));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toMatch(/nope/);
    expect((await failure(findDatasetLabelIssues(deps(), { dataset: 'noisy@1', text: 'missing' }))).code).toBe('NOT_FOUND');
    expect((await failure(findDatasetLabelIssues(deps(), { dataset: 'noisy@1', folds: 1 }))).message).toMatch(/--folds must be an integer from 2/);
    const numeric = await failure(findDatasetLabelIssues(deps(), { dataset: 'tab@1', label: 'x1', features: ['x2'] }));
    expect(numeric.code).toBe('INVALID_ARGUMENT');
    expect(numeric.message).toMatch(/needs classes/);
    expect((await failure(findDatasetLabelIssues(deps(), { dataset: 'nothing@1' }))).code).toBe('NOT_FOUND');
  });

  it('stops with a cancellation error when the signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await failure(findDatasetLabelIssues(deps(), { dataset: 'tab@1', learner: 'linear', folds: 3 }, { signal: ac.signal }));
    expect(err.code).toBe('CANCELLED');
    expect(err.details?.['cancelled']).toBe(true);
  });
});

describe('mloop data label-issues', () => {
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await main(['--workspace', t.dir, ...args], { stdout, stderr, env: {}, cwd: t.dir });
    return { code, stdout: out, stderr: err };
  }

  it('prints the most likely mislabelled rows as JSON and as a table', async () => {
    const json = await cli('data', 'label-issues', 'tab@1', '--learner', 'linear', '--folds', '3', '--seed', '5', '--limit', '4', '--json');
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { issues: Array<{ id: string; given_label: string; suggested_label: string; margin: number }>; issues_found: number; id_column: string };
    expect(doc.id_column).toBe('key');
    expect(doc.issues).toHaveLength(4);
    expect(doc.issues_found).toBeGreaterThanOrEqual(4);
    const human = await cli('data', 'label-issues', 'tab@1', '--learner', 'linear', '--folds', '3', '--seed', '5', '--limit', '4');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/look mislabelled/);
    expect(human.stdout).toMatch(/key\s+given\s+suggested\s+p\(given\)\s+margin/);
    expect(human.stdout).toContain(doc.issues[0]!.id);
  }, 60_000);

  it('exits with INVALID_ARGUMENT on a bad dataset or flag', async () => {
    const one = await cli('data', 'label-issues', 'one@1', '--label', 'label', '--text', 'text');
    expect(one.code).not.toBe(0);
    expect(one.stderr).toMatch(/error\[INVALID_ARGUMENT\].*one class only/);
    expect((await cli('data', 'label-issues', 'tab@1', '--folds', '1')).code).not.toBe(0);
  });
});
