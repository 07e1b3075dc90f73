/** The labeling HTTP API in-process: per-project authorization, the queue, 409 on stale submits, review, export. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../auth/index.js';
import { buildServer } from '../server/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';

let t: TempWorkspace;
let app: Awaited<ReturnType<typeof buildServer>>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await tempWorkspace();
  const rows = ['id,text'];
  for (let i = 0; i < 4; i++) rows.push(`q${i},question ${i}`);
  writeFileSync(join(t.dir, 'q.csv'), `${rows.join('\n')}\n`);
  await t.ws.datasets.importFile({ file: join(t.dir, 'q.csv'), name: 'questions', actor: 'ana' });
  await t.ws.labeling.createProject({
    name: 'other',
    dataset: 'questions',
    labels: ['x', 'y'],
    idColumn: 'id',
    showColumns: ['text'],
    actor: 'ana',
  });
  const admin = localPrincipal();
  for (const [name, roles] of [
    ['ann1', ['annotator:qa']],
    ['ann2', ['annotator:qa']],
    ['outsider', ['annotator:other']],
    ['rev', ['reviewer:qa']],
    ['eng', ['engineer']],
  ] as const) {
    await t.ws.auth.createUser(admin, name, [...roles]);
    tokens[name] = (await t.ws.auth.createToken(admin, { user: name })).token;
  }
  tokens['admin'] = t.adminToken;
  app = await buildServer(t.ws);
});
afterAll(async () => {
  await app?.close();
  await t?.cleanup();
});

const call = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });

describe('labeling API', () => {
  it('creates a project (managers only) and shows annotators only their projects, without gold or dataset', async () => {
    expect(
      (await call('ann1', 'POST', '/v1/labeling/projects', { name: 'qa', dataset: 'questions', labels: ['yes', 'no'] }))
        .statusCode,
    ).toBe(403);
    const created = await call('eng', 'POST', '/v1/labeling/projects', {
      name: 'qa',
      dataset: 'questions',
      labels: ['yes', 'no'],
      id: 'id',
      show: ['text'],
      overlap: 2,
      instructions: '<b>be careful</b>',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'qa', dataset: 'questions@1', overlap: 2 });
    expect(
      (await call('eng', 'POST', '/v1/labeling/projects', { name: 'qa', dataset: 'questions', labels: ['yes', 'no'] }))
        .statusCode,
    ).toBe(409);
    expect(
      (await call('eng', 'POST', '/v1/labeling/projects', { name: 'qb', dataset: 'questions', labels: ['yes'] })).json().error
        .code,
    ).toBe('INVALID_ARGUMENT');
    const mine = (await call('ann1', 'GET', '/v1/labeling/projects')).json() as { projects: Array<Record<string, unknown>> };
    expect(mine.projects.map((p) => p['name'])).toEqual(['qa']);
    expect(mine.projects[0]).not.toHaveProperty('dataset');
    expect(mine.projects[0]).not.toHaveProperty('gold');
    expect((await call('ann1', 'GET', '/v1/labeling/projects/qa')).json()).toEqual({
      name: 'qa',
      labels: ['yes', 'no'],
      show_columns: ['text'],
      overlap: 2,
      instructions: '<b>be careful</b>',
    });
    // Nothing of another project: not its settings, queue, or even whether it exists.
    expect((await call('outsider', 'GET', '/v1/labeling/projects/qa')).statusCode).toBe(403);
    expect((await call('outsider', 'POST', '/v1/labeling/projects/qa/next')).statusCode).toBe(403);
    expect((await call('outsider', 'GET', '/v1/labeling/projects/nope')).statusCode).toBe(403);
    expect((await call('ann1', 'GET', '/v1/labeling/projects/qa/stats')).statusCode).toBe(403);
    expect((await call('ann1', 'GET', '/v1/labeling/projects/qa/adjudications')).statusCode).toBe(403);
    expect((await call('ann1', 'GET', '/v1/labeling/projects/qa/items/q0')).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/v1/labeling/projects/qa/next' })).statusCode).toBe(401);
  });

  it('takes the gold seed on create, keeps it secret, and rejects an empty or over-long seed with 400', async () => {
    const created = await call('eng', 'POST', '/v1/labeling/projects', {
      name: 'seeded',
      dataset: 'questions',
      labels: ['yes', 'no'],
      id: 'id',
      seed: 'fixed-seed-42',
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain('fixed-seed-42');
    expect((await t.ws.labeling.project('seeded')).config.goldSeed).toBe('fixed-seed-42');
    const manager = await call('admin', 'GET', '/v1/labeling/projects/seeded');
    expect(manager.statusCode).toBe(200);
    expect(manager.body).not.toContain('fixed-seed-42');
    // Without a seed the project gets a random one, different per project.
    await call('eng', 'POST', '/v1/labeling/projects', { name: 'unseeded', dataset: 'questions', labels: ['yes', 'no'] });
    const random = (await t.ws.labeling.project('unseeded')).config.goldSeed;
    expect(random).toMatch(/^[0-9a-f]{32}$/);
    for (const seed of ['', 'x'.repeat(201)]) {
      const bad = await call('eng', 'POST', '/v1/labeling/projects', {
        name: 'badseed',
        dataset: 'questions',
        labels: ['yes', 'no'],
        seed,
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('INVALID_ARGUMENT');
      expect(bad.json().error.message).toContain('seed');
    }
    expect((await call('admin', 'GET', '/v1/labeling/projects/badseed')).statusCode).toBe(404);
  });

  it('leases, answers, skips; a stale or foreign submit is 409 or 404; a finished queue returns null', async () => {
    const first = (await call('ann1', 'POST', '/v1/labeling/projects/qa/next')).json() as {
      item: { assignment: { id: string; lease_token: string }; data: Record<string, string> };
    };
    expect(first.item.data['text']).toMatch(/^question \d$/);
    expect(
      (
        await call('ann2', 'POST', `/v1/labeling/projects/qa/assignments/${first.item.assignment.id}/answer`, {
          label: 'yes',
          lease_token: first.item.assignment.lease_token,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await call('ann1', 'POST', `/v1/labeling/projects/qa/assignments/${first.item.assignment.id}/answer`, {
          label: 'maybe',
          lease_token: first.item.assignment.lease_token,
        })
      ).statusCode,
    ).toBe(400);
    const ok = await call('ann1', 'POST', `/v1/labeling/projects/qa/assignments/${first.item.assignment.id}/answer`, {
      label: 'yes',
      lease_token: first.item.assignment.lease_token,
    });
    expect(ok.json()).toEqual({ recorded: true });
    const stale = await call('ann1', 'POST', `/v1/labeling/projects/qa/assignments/${first.item.assignment.id}/answer`, {
      label: 'no',
      lease_token: first.item.assignment.lease_token,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');
    const second = (await call('ann1', 'POST', '/v1/labeling/projects/qa/next')).json() as {
      item: { assignment: { id: string; lease_token: string } };
    };
    expect(
      (
        await call('ann1', 'POST', `/v1/labeling/projects/qa/assignments/${second.item.assignment.id}/skip`, {
          lease_token: second.item.assignment.lease_token,
        })
      ).json(),
    ).toEqual({ skipped: true });
    for (const who of ['ann1', 'ann2']) {
      for (;;) {
        const n = (await call(who, 'POST', '/v1/labeling/projects/qa/next')).json() as {
          item: { assignment: { id: string; lease_token: string } } | null;
        };
        if (!n.item) break;
        expect(
          (
            await call(who, 'POST', `/v1/labeling/projects/qa/assignments/${n.item.assignment.id}/answer`, {
              label: who === 'ann1' ? 'yes' : 'no',
              lease_token: n.item.assignment.lease_token,
            })
          ).statusCode,
        ).toBe(200);
      }
    }
    const progress = (await call('ann1', 'GET', '/v1/labeling/projects/qa/progress')).json();
    expect(progress).toMatchObject({ answered: 3, skipped: 1, available: 0 });
    expect((await call('ann2', 'GET', '/v1/labeling/projects/qa/progress')).json()).toMatchObject({ answered: 4, skipped: 0 });
  });

  it('lets reviewers adjudicate, managers see stats and agreement and export', async () => {
    const queue = (await call('rev', 'GET', '/v1/labeling/projects/qa/adjudications')).json() as {
      items: Array<{ item: string; confidence: number }>;
    };
    expect(queue.items.length).toBeGreaterThan(0);
    const item = queue.items[0]!.item;
    const view = (await call('rev', 'GET', `/v1/labeling/projects/qa/items/${item}`)).json() as { answers: unknown[] };
    expect(view.answers).toHaveLength(2);
    expect(
      (await call('rev', 'POST', `/v1/labeling/projects/qa/items/${item}/decision`, { label: 'no', note: 'checked' })).statusCode,
    ).toBe(200);
    expect((await call('rev', 'POST', `/v1/labeling/projects/qa/items/${item}/decision`, { label: 'yes' })).statusCode).toBe(409);
    const stats = (await call('eng', 'GET', '/v1/labeling/projects/qa/stats')).json() as {
      annotators: Array<{ worker: string; answers: number }>;
      adjudication: { decided: number };
    };
    expect(stats.annotators.map((a) => [a.worker, a.answers])).toEqual([
      ['ann1', 3],
      ['ann2', 4],
    ]);
    expect(stats.adjudication.decided).toBe(1);
    const agreement = (await call('eng', 'GET', '/v1/labeling/projects/qa/agreement')).json();
    expect(agreement).toHaveProperty('krippendorff_alpha');
    const consensus = (await call('eng', 'GET', '/v1/labeling/projects/qa/consensus?method=mv')).json() as {
      method: string;
      items: Array<{ item: string; method: string }>;
    };
    expect(consensus.method).toBe('majority-vote');
    expect(consensus.items.find((i) => i.item === item)?.method).toBe('adjudicated');
    expect((await call('rev', 'POST', '/v1/labeling/projects/qa/export', { name: 'qa-labels' })).statusCode).toBe(403);
    const exported = await call('eng', 'POST', '/v1/labeling/projects/qa/export', { name: 'qa-labels' });
    expect(exported.statusCode).toBe(200);
    expect(exported.json()).toMatchObject({
      created: true,
      rows: 1, // the decided item; the others lack answers or wait for a reviewer
      version: { ref: 'qa-labels@1', lineage: { parents: ['questions@1'] } },
    });
    const left = (exported.json() as { left_out: { incomplete: number; awaiting_review: number } }).left_out;
    expect(left.incomplete + left.awaiting_review).toBe(3);
    const everything = await call('eng', 'POST', '/v1/labeling/projects/qa/export', {
      name: 'qa-labels',
      include_unfinished: true,
    });
    expect(everything.json()).toMatchObject({ rows: 4, left_out: { incomplete: 0, awaiting_review: 0 } });
    const imported = await call('admin', 'POST', '/v1/labeling/projects/other/answers', {
      answers: [{ item: 'q0', worker: 'ext', label: 'x' }],
    });
    expect(imported.json()).toMatchObject({ inserted: 1 });
    const nobody = await call('admin', 'POST', '/v1/labeling/projects/qa/annotators/nobody/pause', { reason: 'typo' });
    expect(nobody.statusCode).toBe(404);
    expect(nobody.json()).toMatchObject({ error: { code: 'NOT_FOUND', message: "annotator 'qa/nobody' not found" } });
    expect((await call('admin', 'POST', '/v1/labeling/projects/qa/annotators/ANN2/resume', {})).statusCode).toBe(404);
    const paused = await call('admin', 'POST', '/v1/labeling/projects/qa/annotators/ann2/pause', { reason: 'spot check' });
    expect(paused.json()).toMatchObject({ worker: 'ann2' });
    expect((await call('ann2', 'POST', '/v1/labeling/projects/qa/next')).statusCode).toBe(412);
    expect((await call('admin', 'POST', '/v1/labeling/projects/qa/annotators/ann2/resume', {})).json()).toMatchObject({
      state: 'active',
    });
  });

  it('never answers any input with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }), async (segment, body) => {
        const res = await app.inject({
          method: 'POST',
          url: `/v1/labeling/projects/qa/assignments/${encodeURIComponent(segment || 'x')}/answer`,
          headers: { authorization: `Bearer ${tokens['ann1']}`, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
        expect(res.statusCode).toBeLessThan(500);
        const res2 = await app.inject({
          method: 'GET',
          url: `/v1/labeling/projects/${encodeURIComponent(segment || 'x')}/consensus?method=${encodeURIComponent(segment)}`,
          headers: { authorization: `Bearer ${tokens['admin']}` },
        });
        expect(res2.statusCode).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
  });
});
