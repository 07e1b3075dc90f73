import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readColumns } from '../datasets/index.js';
import type { MloopError } from '../errors/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';

let t: TempWorkspace;
const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as MloopError).code;

/** Six reviews; ids r1..r6. */
const REVIEWS =
  [
    'id,text,stars',
    'r1,great product,5',
    'r2,awful,1',
    'r3,"fine, I guess",3',
    'r4,loved it,5',
    'r5,broke in a day,1',
    'r6,meh,2',
  ].join('\n') + '\n';

beforeAll(async () => {
  t = await tempWorkspace();
  writeFileSync(join(t.dir, 'reviews.csv'), REVIEWS);
  writeFileSync(join(t.dir, 'gold.csv'), 'id,text,label\nr1,great product,pos\ng1,terrible,neg\ng2,wonderful,pos\ng3,bad,neg\n');
  await t.ws.datasets.importFile({ file: join(t.dir, 'reviews.csv'), name: 'reviews', actor: 'ana' });
  await t.ws.datasets.importFile({ file: join(t.dir, 'gold.csv'), name: 'reviews-gold', actor: 'ana' });
});
afterAll(async () => {
  await t?.cleanup();
});

describe('labeling projects', () => {
  it('creates a project with gold items (matched by id, or added) and validates every setting', async () => {
    const p = await t.ws.labeling.createProject({
      name: 'rev',
      dataset: 'reviews',
      labels: ['pos', 'neg'],
      idColumn: 'id',
      showColumns: ['text'],
      overlap: 2,
      gold: 'reviews-gold',
      goldRate: 0.25,
      actor: 'ana',
    });
    expect(p.datasetRef).toBe('reviews@1');
    expect(p.config).toMatchObject({ goldColumn: 'label', goldRate: 0.25, overlap: 2 });
    expect(
      await code(t.ws.labeling.createProject({ name: 'rev', dataset: 'reviews', labels: ['pos', 'neg'], actor: 'ana' })),
    ).toBe('ALREADY_EXISTS');
    expect(await code(t.ws.labeling.createProject({ name: 'x', dataset: 'nope', labels: ['pos', 'neg'], actor: 'ana' }))).toBe(
      'NOT_FOUND',
    );
    const bad = (await t.ws.labeling
      .createProject({
        name: 'x',
        dataset: 'reviews',
        labels: ['pos', 'pos'],
        overlap: 0,
        showColumns: ['nope'],
        goldRate: 0.3,
        actor: 'ana',
      })
      .catch((e: unknown) => e)) as MloopError;
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect((bad.details!['issues'] as Array<{ path: string }>).map((i) => i.path)).toEqual([
      'labels',
      'show',
      'overlap',
      'gold-rate',
    ]);
    expect(
      await code(t.ws.labeling.createProject({ name: 'Bad Name', dataset: 'reviews', labels: ['a', 'b'], actor: 'ana' })),
    ).toBe('INVALID_ARGUMENT');
    expect(
      await code(
        t.ws.labeling.createProject({ name: 'y', dataset: 'reviews', labels: ['a', 'b'], gold: 'reviews-gold', actor: 'ana' }),
      ),
    ).toBe('INVALID_ARGUMENT'); // gold labels outside
  });

  it('serves items without marking gold, pauses an annotator below the gold accuracy and flags their pending answers', async () => {
    {
      // A gold rate of 0.5 serves gold every other item, whatever the annotator's phase.
      await t.ws.labeling.createProject({
        name: 'gold-run',
        dataset: 'reviews',
        labels: ['pos', 'neg'],
        idColumn: 'id',
        showColumns: ['text'],
        overlap: 1,
        gold: 'reviews-gold',
        goldRate: 0.5,
        minGoldAnswers: 2,
        minGoldAccuracy: 0.6,
        actor: 'ana',
      });
      const served: string[] = [];
      for (let i = 0; i < 4; i++) {
        const n = await t.ws.labeling.next('gold-run', 'careless');
        expect(n).not.toBeNull();
        expect(Object.keys(n!)).toEqual(['assignment', 'data']); // nothing says "gold"
        served.push(String(n!.data['text']));
        // Always answers "pos": right on r1/g2, wrong on g1/g3.
        await t.ws.labeling.submit('gold-run', 'careless', n!.assignment.id, n!.assignment.lease_token, 'pos');
        if ((await t.ws.labeling.progress('gold-run', 'careless')).state === 'paused') break;
      }
      expect(served.some((s) => ['terrible', 'wonderful', 'bad', 'great product'].includes(s))).toBe(true);
      const progress = await t.ws.labeling.progress('gold-run', 'careless');
      expect(progress.state).toBe('paused');
      expect(await code(t.ws.labeling.next('gold-run', 'careless'))).toBe('FAILED_PRECONDITION');
      const stats = await t.ws.labeling.stats('gold-run', { replicates: 50 });
      const row = stats.annotators.find((a) => a.worker === 'careless')!;
      expect(row.state).toBe('paused');
      expect(row.gold!.accuracy).toBeLessThan(0.6);
      expect(row.flagged).toBeGreaterThanOrEqual(1);
      expect(stats.answers.flagged).toBe(row.flagged);
    }
  });
});

describe('gold datasets', () => {
  it('refuses a gold id given twice, naming it and both labels, and a gold row without an id', async () => {
    writeFileSync(join(t.dir, 'gold-dup.csv'), 'id,label\nr1,pos\nr2,neg\nr1,neg\n');
    writeFileSync(join(t.dir, 'gold-noid.csv'), 'id,label\nr1,pos\n,neg\n');
    writeFileSync(join(t.dir, 'gold-ok.csv'), 'id,label\nr1,pos\nr2,\n');
    for (const name of ['gold-dup', 'gold-noid', 'gold-ok'])
      await t.ws.datasets.importFile({ file: join(t.dir, `${name}.csv`), name, actor: 'ana' });
    const base = { dataset: 'reviews', labels: ['pos', 'neg'], idColumn: 'id', showColumns: ['text'], actor: 'ana' };
    const dup = (await t.ws.labeling
      .createProject({ ...base, name: 'gdup', gold: 'gold-dup' })
      .catch((e: unknown) => e)) as MloopError;
    expect(dup.code).toBe('INVALID_ARGUMENT');
    expect(dup.message).toBe(
      "the id column 'id' of gold-dup@1 repeats 'r1' (rows 0 and 2, labels 'pos' and 'neg'); gold ids must be unique",
    );
    const noId = (await t.ws.labeling
      .createProject({ ...base, name: 'gnoid', gold: 'gold-noid' })
      .catch((e: unknown) => e)) as MloopError;
    expect(noId.message).toContain("row 1 of gold-noid@1 has a gold label but no value in the id column 'id'");
    const ok = await t.ws.labeling.createProject({ ...base, name: 'gok', gold: 'gold-ok' });
    expect(ok.goldRef).toBe('gold-ok@1');
  });
});

describe('consensus, agreement, adjudication and export', () => {
  beforeAll(async () => {
    await t.ws.labeling.createProject({
      name: 'crowd',
      dataset: 'reviews',
      labels: ['pos', 'neg'],
      idColumn: 'id',
      overlap: 3,
      adjudicationThreshold: 0.7,
      consensus: 'mv',
      actor: 'ana',
    });
    const csv = [
      'item,worker,label',
      'r1,a,pos',
      'r1,b,pos',
      'r1,c,pos',
      'r2,a,neg',
      'r2,b,neg',
      'r2,c,pos',
      'r3,a,pos',
      'r3,b,neg',
      'r3,c,neg',
      'r4,a,pos',
      'r4,b,pos',
      'r4,c,pos',
      'r5,a,neg',
      'r5,b,neg',
      'r5,c,neg',
    ].join('\n');
    const r = await t.ws.labeling.importAnswersCsv('crowd', csv);
    expect(r).toEqual({ project: 'crowd', inserted: 15, existing: 0, changed: [], paused: [] });
    expect((await t.ws.labeling.importAnswersCsv('crowd', csv)).existing).toBe(15);
  });

  it('reports a changed answer from the same worker and keeps the recorded one', async () => {
    const r = await t.ws.labeling.importAnswersCsv('crowd', 'item,worker,label\nr1,a,neg\nr2,a,neg\n');
    expect(r).toEqual({
      project: 'crowd',
      inserted: 0,
      existing: 1,
      changed: [{ item: 'r1', worker: 'a', kept: 'pos', not_imported: 'neg' }],
      paused: [],
    });
    const answers = (await t.ws.labeling.reviewItem('crowd', 'r1')).answers;
    expect(answers.find((a) => a.worker === 'a')?.label).toBe('pos');
  });

  it('rejects bad answer files with one issue per problem', async () => {
    const e = (await t.ws.labeling
      .importAnswersCsv('crowd', 'item,worker,label\nr1,z,maybe\nzz,z,pos\nr2,z,pos\nr2,z,neg\n')
      .catch((x: unknown) => x)) as MloopError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect((e.details!['issues'] as Array<{ code: string }>).map((i) => i.code)).toEqual([
      'unknown_label',
      'unknown_item',
      'duplicate',
    ]);
    expect(await code(t.ws.labeling.importAnswersCsv('crowd', 'item,who,label\n'))).toBe('INVALID_ARGUMENT');
  });

  it('gives majority vote with vote shares, and Dawid–Skene posteriors', async () => {
    const mv = await t.ws.labeling.consensus('crowd', 'mv');
    expect(mv.method).toBe('majority-vote');
    expect(mv.details).toEqual({ tie_rule: 'first-listed-label', tied: 0 });
    expect(mv.items.map((i) => [i.item, i.label, Number(i.confidence.toFixed(4)), i.answers])).toEqual([
      ['r1', 'pos', 1, 3],
      ['r2', 'neg', 0.6667, 3],
      ['r3', 'neg', 0.6667, 3],
      ['r4', 'pos', 1, 3],
      ['r5', 'neg', 1, 3],
    ]);
    const ds = await t.ws.labeling.consensus('crowd', 'ds');
    expect(ds.method).toBe('dawid-skene');
    expect(ds.items).toHaveLength(5);
    for (const i of ds.items) expect(i.confidence).toBeGreaterThan(0.5);
    expect(await code(t.ws.labeling.consensus('crowd', 'xx' as never))).toBe('INVALID_ARGUMENT');
  });

  it('computes agreement with the issue shape (hand-checked Fleiss kappa)', async () => {
    const a = await t.ws.labeling.agreement('crowd', { replicates: 200, minShared: 2 });
    // Fleiss by hand: p_pos = 8/15, P_e = (8/15)^2 + (7/15)^2 = 0.50222; P_i = 1,1/3,1/3,1,1 → P̄ = 11/15.
    const pe = (8 / 15) ** 2 + (7 / 15) ** 2;
    expect(a.fleiss_kappa).toBeCloseTo((11 / 15 - pe) / (1 - pe), 10);
    expect(a.krippendorff_alpha).not.toBeNull();
    expect(a.cohen_kappa_pairs.map((p) => [p.a, p.b])).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ]);
    expect(a.intervals.fleiss_kappa!.lower).toBeLessThanOrEqual(a.fleiss_kappa!);
  });

  it('queues uncertain items for adjudication; a decision is final and wins over consensus', async () => {
    const q = await t.ws.labeling.adjudicationQueue('crowd');
    expect(q.items.map((i) => i.item)).toEqual(['r2', 'r3']);
    const d = await t.ws.labeling.adjudicate('crowd', 'rita', 'r3', 'pos', 'sarcasm');
    expect(d.consensus).toMatchObject({ label: 'neg', method: 'majority-vote' });
    expect(await code(t.ws.labeling.adjudicate('crowd', 'rita', 'r3', 'neg'))).toBe('CONFLICT');
    expect(await code(t.ws.labeling.adjudicate('crowd', 'rita', 'nope', 'neg'))).toBe('NOT_FOUND');
    expect(await code(t.ws.labeling.adjudicate('crowd', 'rita', 'r2', 'maybe'))).toBe('INVALID_ARGUMENT');
    expect((await t.ws.labeling.adjudicationQueue('crowd')).items.map((i) => i.item)).toEqual(['r2']);
    const r3 = (await t.ws.labeling.consensus('crowd', 'mv')).items.find((i) => i.item === 'r3');
    expect(r3).toMatchObject({ label: 'pos', confidence: 1, method: 'adjudicated' });
    const review = await t.ws.labeling.reviewItem('crowd', 'r3');
    expect(review.decision).toMatchObject({ label: 'pos', reviewer: 'rita', note: 'sarcasm' });
    expect(review.answers).toHaveLength(3);
  });

  it('exports only finished items by default; includeUnfinished adds the rest', async () => {
    // r2 (mv 2/3 < 0.7) waits for a reviewer; r1 and r4 are below the overlap of 3; r6 has no answer.
    await t.ws.labeling.createProject({
      name: 'partial',
      dataset: 'reviews',
      labels: ['pos', 'neg'],
      idColumn: 'id',
      overlap: 3,
      adjudicationThreshold: 0.7,
      consensus: 'mv',
      actor: 'ana',
    });
    await t.ws.labeling.importAnswersCsv(
      'partial',
      'item,worker,label\nr1,a,pos\nr2,a,neg\nr2,b,neg\nr2,c,pos\nr3,a,neg\nr3,b,neg\nr3,c,neg\nr4,a,pos\nr4,b,neg\n',
    );
    const r = await t.ws.labeling.export('partial', { name: 'partial-labelled', actor: 'ana' });
    expect(r.rows).toBe(1);
    expect(r.left_out).toEqual({ incomplete: 2, awaiting_review: 1 });
    const ids = await readColumns(t.ws.datasets, r.version.ref, ['id', 'label']);
    expect(ids.columns['id']!.values).toEqual(['r3']);
    const all = await t.ws.labeling.export('partial', { name: 'partial-all', actor: 'ana', includeUnfinished: true });
    expect(all.rows).toBe(4);
    expect(all.left_out).toEqual({ incomplete: 0, awaiting_review: 0 });
    expect(all.version.lineage.transform).toMatchObject({ includeUnfinished: true });
    await t.ws.labeling.adjudicate('partial', 'rita', 'r2', 'neg');
    expect((await t.ws.labeling.export('partial', { name: 'partial-labelled', actor: 'ana' })).rows).toBe(2);
    await t.ws.labeling.createProject({ name: 'started', dataset: 'reviews', labels: ['pos', 'neg'], overlap: 2, actor: 'ana' });
    await t.ws.labeling.importAnswersCsv('started', 'item,worker,label\n0,a,pos\n');
    const none = (await t.ws.labeling.export('started', { name: 'x', actor: 'ana' }).catch((e: unknown) => e)) as MloopError;
    expect(none.code).toBe('FAILED_PRECONDITION');
    expect(none.message).toContain('1 with fewer than 2 answers');
  });

  it('exports labelled rows as a dataset version with lineage to the source and the project', async () => {
    await t.ws.labeling.adjudicate('crowd', 'rita', 'r2', 'neg');
    const r = await t.ws.labeling.export('crowd', { name: 'reviews-labelled', actor: 'ana', method: 'mv' });
    expect(r.created).toBe(true);
    expect(r.rows).toBe(5);
    expect(r.left_out).toEqual({ incomplete: 0, awaiting_review: 0 });
    expect(r.version.lineage.parents).toEqual(['reviews@1']);
    expect(r.version.lineage.transform).toMatchObject({ kind: 'label-export', project: 'crowd', method: 'majority-vote' });
    expect(r.version.schema.find((c) => c.name === 'label')?.roles).toEqual(['label']);
    const cols = await readColumns(t.ws.datasets, r.version.ref, [
      'id',
      'text',
      'label',
      'label_confidence',
      'label_method',
      'label_annotators',
    ]);
    expect(cols.columns['id']!.values).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(cols.columns['label']!.values).toEqual(['pos', 'neg', 'pos', 'pos', 'neg']);
    expect(cols.columns['label_method']!.values).toEqual([
      'majority-vote',
      'adjudicated',
      'adjudicated',
      'majority-vote',
      'majority-vote',
    ]);
    expect(Array.from(cols.columns['label_annotators']!.values as Float64Array)).toEqual([3, 3, 3, 3, 3]);
    expect(cols.columns['text']!.values[2]).toBe('fine, I guess');
    const again = await t.ws.labeling.export('crowd', { name: 'reviews-labelled', actor: 'ana', method: 'mv' });
    expect(again.created).toBe(false);
    expect(await code(t.ws.labeling.export('crowd', { name: 'x', actor: 'ana', labelColumn: 'text' }))).toBe('INVALID_ARGUMENT');
    for (const bad of ['', '  ', 'x'.repeat(61)])
      expect(await code(t.ws.labeling.export('crowd', { name: 'x', actor: 'ana', labelColumn: bad }))).toBe('INVALID_ARGUMENT');
    await t.ws.labeling.createProject({ name: 'empty', dataset: 'reviews', labels: ['pos', 'neg'], actor: 'ana' });
    expect(await code(t.ws.labeling.export('empty', { name: 'x', actor: 'ana' }))).toBe('FAILED_PRECONDITION');
  });
});

describe('active learning', () => {
  it('orders unanswered items by model uncertainty with a random share, and the queue follows', async () => {
    await t.ws.labeling.createProject({
      name: 'al',
      dataset: 'reviews',
      labels: ['pos', 'neg'],
      idColumn: 'id',
      showColumns: ['text'],
      actor: 'ana',
    });
    // A fake model: P(pos) from the star rating; 3 stars is the most uncertain, then 2, then 1/5.
    const model = {
      inputs: [{ name: 'stars', kind: 'numeric' as const }],
      classes: ['pos', 'neg'],
      predictProba(batch: Record<string, Float64Array | ReadonlyArray<string | null>>, n: number) {
        const stars = batch['stars'] as Float64Array;
        const out = new Float64Array(n * 2);
        for (let i = 0; i < n; i++) {
          const p = { 1: 0.05, 2: 0.3, 3: 0.5, 4: 0.8, 5: 0.95 }[stars[i]!] ?? 0.5;
          out[2 * i] = p;
          out[2 * i + 1] = 1 - p;
        }
        return out;
      },
    };
    const svc = t.ws.labeling as unknown as { loadModel: (ref: string) => Promise<unknown> };
    const saved = svc.loadModel;
    svc.loadModel = async () => model;
    try {
      const r = await t.ws.labeling.prioritize('al', { model: 'fake@1', randomShare: 0 });
      expect(r.ordered).toBe(6);
      expect(r.top!.map((x) => x.item)).toEqual(['r3', 'r6', 'r1', 'r2', 'r4', 'r5']); // ties by row order
      expect(r.random).toBe(0);
      const first = await t.ws.labeling.next('al', 'ann');
      expect(first!.data['text']).toBe('fine, I guess');
      const mixed = await t.ws.labeling.prioritize('al', { model: 'fake@1', randomShare: 0.5, seed: 3 });
      expect(mixed).toMatchObject({ ordered: 5, random: 3 }); // r3 is leased now: 5 items, round(2.5) = 3 at random
      expect(await code(t.ws.labeling.prioritize('al', { model: 'fake@1', strategy: 'nope' as never }))).toBe('INVALID_ARGUMENT');
    } finally {
      svc.loadModel = saved;
    }
  });
});
