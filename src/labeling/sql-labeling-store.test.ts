/** Contract suite of the labeling store, run on every backend (SQLite always, PostgreSQL when reachable or CI). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../storage/test-support/backends.js';
import { newId } from '../storage/index.js';
import { DEFAULT_PROJECT_CONFIG, type LabelingProject } from './labeling.js';
import type { NewItem } from './labeling-store.js';
import { SqlLabelingStore } from './sql-labeling-store.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function project(name: string, overlap = 2): LabelingProject {
  return {
    id: newId('lbp'),
    name,
    datasetRef: 'tickets@1',
    goldRef: null,
    config: { ...DEFAULT_PROJECT_CONFIG, labels: ['a', 'b'], idColumn: null, showColumns: ['text'], goldColumn: null, overlap },
    instructions: 'label it',
    createdAt: T0.toISOString(),
    createdBy: 'ana',
  };
}

function items(n: number, gold = 0): NewItem[] {
  const out: NewItem[] = [];
  for (let i = 0; i < n; i++)
    out.push({
      key: `i${i}`,
      position: i,
      isGold: false,
      goldLabel: null,
      inDataset: true,
      data: { text: `item ${i}` },
      priority: 0,
    });
  for (let g = 0; g < gold; g++)
    out.push({
      key: `g${g}`,
      position: n + g,
      isGold: true,
      goldLabel: 'a',
      inDataset: false,
      data: { text: `gold ${g}` },
      priority: 0,
    });
  return out;
}

describe.each(BACKENDS)('SqlLabelingStore on $name', (factory) => {
  let t: TestBackend | undefined;
  let store: SqlLabelingStore;
  let skip = false;

  beforeAll(async () => {
    if (!(await factory.available())) {
      skip = true;
      return;
    }
    t = await factory.make();
    store = new SqlLabelingStore(t.backend.db, t.backend.capabilities);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const next = (p: LabelingProject, annotator: string, now = T0, order: Array<'gold' | 'regular'> = ['regular']) =>
    store.next({ projectId: p.id, annotator, overlap: p.config.overlap, order, now, leaseMs: 60_000 });

  it('creates, finds and lists projects; a taken name is ALREADY_EXISTS', async (ctx) => {
    if (skip) return ctx.skip();
    const p = project('create-1');
    await store.createProject(p, items(3));
    expect((await store.getProject('create-1'))?.config.labels).toEqual(['a', 'b']);
    expect(await store.getProject('nope')).toBeUndefined();
    expect((await store.listProjects()).map((x) => x.name)).toContain('create-1');
    await expect(store.createProject({ ...project('create-1'), id: newId('lbp') }, [])).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect((await store.listItems(p.id)).map((i) => i.key)).toEqual(['i0', 'i1', 'i2']);
  });

  it('never gives one person an item twice nor an item to more than k people, by priority', async (ctx) => {
    if (skip) return ctx.skip();
    const p = project('queue-1', 2);
    await store.createProject(p, items(3));
    await store.setPriorities(p.id, new Map([['i2', 5]]));
    const first = await next(p, 'ann');
    expect(first?.item.key).toBe('i2');
    // The live lease comes back until it is answered.
    expect((await next(p, 'ann'))?.assignment.id).toBe(first!.assignment.id);
    await store.submit(p.id, 'ann', first!.assignment.id, first!.assignment.leaseToken, 'a', T0);
    const seen = ['i2'];
    for (;;) {
      const n = await next(p, 'ann');
      if (!n) break;
      seen.push(n.item.key);
      await store.submit(p.id, 'ann', n.assignment.id, n.assignment.leaseToken, 'b', T0);
    }
    expect(seen.sort()).toEqual(['i0', 'i1', 'i2']);
    for (const who of ['bob']) {
      for (;;) {
        const n = await next(p, who);
        if (!n) break;
        await store.submit(p.id, who, n.assignment.id, n.assignment.leaseToken, 'a', T0);
      }
    }
    expect(await next(p, 'cy')).toBeUndefined(); // every item has k = 2 answers
    expect((await store.listItems(p.id)).map((i) => i.filled)).toEqual([2, 2, 2]);
    const c = await store.counts(p.id, 2, T0);
    expect(c).toMatchObject({ items: 3, complete: 3, started: 3, answers: 6, activeLeases: 0 });
    expect(await store.progress(p.id, 'ann', 2, T0)).toEqual({ answered: 3, skipped: 0, available: 0 });
  });

  it('under many concurrent next calls never fills a slot beyond k', async (ctx) => {
    if (skip) return ctx.skip();
    const p = project('race-1', 2);
    await store.createProject(p, items(4));
    const annotators = Array.from({ length: 24 }, (_, i) => `w${i}`);
    const got = await Promise.all(annotators.map((a) => next(p, a)));
    const leased = got.filter((g) => g !== undefined);
    expect(leased).toHaveLength(8); // 4 items × k = 2
    const perItem = new Map<string, Set<string>>();
    for (const g of leased) {
      const s = perItem.get(g.item.key) ?? new Set<string>();
      s.add(g.assignment.annotator);
      perItem.set(g.item.key, s);
    }
    expect([...perItem.values()].every((s) => s.size === 2)).toBe(true);
    expect((await store.listItems(p.id)).every((i) => i.filled === 2)).toBe(true);
    // The same annotator asking many times at once still holds one lease.
    const p2 = project('race-2', 3);
    await store.createProject(p2, items(5));
    const same = await Promise.all(Array.from({ length: 10 }, () => next(p2, 'solo')));
    expect(new Set(same.map((s) => s?.assignment.id)).size).toBe(1);
  });

  it('expires leases, frees their slot, and answers a stale submit with CONFLICT', async (ctx) => {
    if (skip) return ctx.skip();
    const p = project('lease-1', 1);
    await store.createProject(p, items(1));
    const a = await next(p, 'ann', T0);
    expect(await next(p, 'bob', at(30))).toBeUndefined(); // slot taken
    const b = await next(p, 'bob', at(61)); // ann's lease expired
    expect(b?.item.key).toBe('i0');
    await expect(store.submit(p.id, 'ann', a!.assignment.id, a!.assignment.leaseToken, 'a', at(62))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(store.submit(p.id, 'ann', 'asg_unknown', 'x', 'a', at(62))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.submit(p.id, 'bob', b!.assignment.id, 'wrong-token', 'a', at(62))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await store.submit(p.id, 'bob', b!.assignment.id, b!.assignment.leaseToken, 'b', at(62));
    await expect(store.submit(p.id, 'bob', b!.assignment.id, b!.assignment.leaseToken, 'b', at(63))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await store.getItem(p.id, 'i0'))?.filled).toBe(1);
  });

  it('skip frees the slot and the item is never offered to the skipper again', async (ctx) => {
    if (skip) return ctx.skip();
    const p = project('skip-1', 1);
    await store.createProject(p, items(1));
    const a = await next(p, 'ann');
    await store.skip(p.id, 'ann', a!.assignment.id, a!.assignment.leaseToken, T0);
    expect(await next(p, 'ann')).toBeUndefined();
    expect((await next(p, 'bob'))?.item.key).toBe('i0');
    expect(await store.progress(p.id, 'ann', 1, T0)).toMatchObject({ skipped: 1, answered: 0 });
  });

  it('mixes gold in when asked, without the k bound, and records gold accuracy', async (ctx) => {
    if (skip) return ctx.skip();
    const p = project('gold-1', 1);
    await store.createProject(p, items(2, 2));
    const g1 = await next(p, 'ann', T0, ['gold', 'regular']);
    expect(g1?.item.isGold).toBe(true);
    await store.submit(p.id, 'ann', g1!.assignment.id, g1!.assignment.leaseToken, 'a', T0);
    const g2 = await next(p, 'bob', T0, ['gold', 'regular']);
    expect(g2?.item.key).toBe(g1!.item.key); // gold is not bound by k
    await store.submit(p.id, 'bob', g2!.assignment.id, g2!.assignment.leaseToken, 'b', T0);
    expect(await store.goldRecord(p.id, 'ann')).toEqual({ answers: 1, correct: 1 });
    expect(await store.goldRecord(p.id, 'bob')).toEqual({ answers: 1, correct: 0 });
    const r = await next(p, 'ann', T0, ['regular', 'gold']);
    expect(r?.item.isGold).toBe(false);
  });

  it('imports answers idempotently and counts them as slots', async (ctx) => {
    if (skip) return ctx.skip();
    const p = project('import-1', 2);
    await store.createProject(p, items(2));
    const rows = [
      { item: 'i0', worker: 'x', label: 'a' },
      { item: 'i0', worker: 'y', label: 'b' },
      { item: 'i1', worker: 'x', label: 'a' },
    ];
    expect(await store.importAnswers(p.id, rows, T0)).toEqual({ inserted: 3, existing: 0 });
    expect(await store.importAnswers(p.id, rows, T0)).toEqual({ inserted: 0, existing: 3 });
    expect((await store.listItems(p.id)).map((i) => i.filled)).toEqual([2, 1]);
    expect(await next(p, 'x')).toBeUndefined(); // x answered both
    expect((await next(p, 'z'))?.item.key).toBe('i1');
    expect(await store.listAnswers(p.id, { item: 'i0' })).toHaveLength(2);
  });

  it('pausing flags pending answers, frees their slots and refuses the next item', async (ctx) => {
    if (skip) return ctx.skip();
    const p = project('pause-1', 1);
    await store.createProject(p, items(3, 1));
    for (let i = 0; i < 2; i++) {
      const n = await next(p, 'bad');
      await store.submit(p.id, 'bad', n!.assignment.id, n!.assignment.leaseToken, 'b', T0);
    }
    const g = await next(p, 'bad', T0, ['gold']);
    await store.submit(p.id, 'bad', g!.assignment.id, g!.assignment.leaseToken, 'b', T0);
    await store.adjudicate(p.id, {
      item: 'i0',
      label: 'a',
      reviewer: 'rev',
      note: '',
      consensus: null,
      decidedAt: T0.toISOString(),
    });
    const leased = await next(p, 'bad');
    expect(leased?.item.key).toBe('i2');
    const r = await store.pauseAnnotator(p.id, 'bad', 'gold accuracy 0.00 < 0.60', 'system', T0);
    expect(r).toEqual({ flagged: 1, released: 1 }); // i1 flagged (i0 was decided, g0 is gold)
    await expect(next(p, 'bad')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    const answers = await store.listAnswers(p.id, { worker: 'bad' });
    expect(answers.filter((a) => a.flagged).map((a) => a.item)).toEqual(['i1']);
    expect((await store.listItems(p.id)).map((i) => [i.key, i.filled])).toEqual([
      ['i0', 1],
      ['i1', 0],
      ['i2', 0],
      ['g0', 1],
    ]);
    expect((await store.getAnnotator(p.id, 'bad'))?.state).toBe('paused');
    await store.resumeAnnotator(p.id, 'bad', 'ana', T0);
    expect((await store.listAnnotators(p.id)).map((a) => [a.worker, a.state])).toEqual([['bad', 'active']]);
    await expect(
      store.adjudicate(p.id, { item: 'i0', label: 'b', reviewer: 'rev', note: '', consensus: null, decidedAt: T0.toISOString() }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await store.listAdjudications(p.id)).map((d) => d.label)).toEqual(['a']);
  });
});
