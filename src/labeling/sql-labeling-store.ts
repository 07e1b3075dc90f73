/**
 * The labeling store over Kysely, one implementation for SQLite and PostgreSQL. The queue keeps its
 * invariant with a counter on the item row (`filled`, live slots) raised only by a conditional
 * `UPDATE … WHERE filled < k`, which every backend applies atomically; where the backend declares
 * `supportsSkipLocked`, candidates are picked with `FOR UPDATE SKIP LOCKED` so concurrent annotators
 * take different items instead of queueing on the same row.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { MloopError } from '../errors/index.js';
import { isUniqueViolation, newId, type BackendCapabilities, type DatabaseSchema } from '../storage/index.js';
import type {
  Adjudication,
  AnnotatorState,
  AnswerRecord,
  Assignment,
  AssignmentState,
  LabelingItem,
  LabelingProject,
  LeasedItem,
} from './labeling.js';
import type {
  AnnotatorProgress,
  ImportAnswersResult,
  LabelingStore,
  NewItem,
  NextRequest,
  ProjectCounts,
} from './labeling-store.js';

type Db = Kysely<DatabaseSchema> | Transaction<DatabaseSchema>;
type ItemRow = DatabaseSchema['labeling_items'];
type AssignmentRow = DatabaseSchema['labeling_assignments'];

const BATCH = 500;

function toItem(r: ItemRow, withData = true): LabelingItem {
  return {
    key: r.item_key,
    position: Number(r.position),
    isGold: Number(r.is_gold) === 1,
    goldLabel: r.gold_label,
    inDataset: Number(r.in_dataset) === 1,
    data: withData ? (JSON.parse(r.data_json) as LabelingItem['data']) : {},
    priority: Number(r.priority),
    filled: Number(r.filled),
  };
}

function toAssignment(r: AssignmentRow): Assignment {
  return {
    id: r.id,
    item: r.item_key,
    annotator: r.annotator,
    state: r.state as AssignmentState,
    leaseToken: r.lease_token,
    leasedAt: r.leased_at,
    expiresAt: r.expires_at,
  };
}

function toProject(r: DatabaseSchema['labeling_projects']): LabelingProject {
  return {
    id: r.id,
    name: r.name,
    datasetRef: r.dataset_ref,
    goldRef: r.gold_ref,
    config: JSON.parse(r.config_json) as LabelingProject['config'],
    instructions: r.instructions,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

/** SQLite reports a lost write race as BUSY; the transaction is safe to run again. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code === '40001' || code === '40P01';
}

async function retrying<T>(fn: () => Promise<T>, retryOn: (err: unknown) => boolean, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !retryOn(err)) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 10));
    }
  }
}

function chunks<T>(rows: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

function toAnnotator(r: { worker: string; state: string; reason: string | null; changed_at: string; changed_by: string }): AnnotatorState {
  return { worker: r.worker, state: r.state as AnnotatorState['state'], reason: r.reason, changedAt: r.changed_at, changedBy: r.changed_by };
}

export class SqlLabelingStore implements LabelingStore {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly caps: BackendCapabilities,
  ) {}

  async createProject(project: LabelingProject, items: readonly NewItem[]): Promise<void> {
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('labeling_projects')
          .values({
            id: project.id,
            name: project.name,
            dataset_ref: project.datasetRef,
            gold_ref: project.goldRef,
            config_json: JSON.stringify(project.config),
            instructions: project.instructions,
            created_at: project.createdAt,
            created_by: project.createdBy,
          })
          .execute();
        for (const batch of chunks(items, 200)) {
          await tx
            .insertInto('labeling_items')
            .values(
              batch.map((i) => ({
                project_id: project.id,
                item_key: i.key,
                position: i.position,
                is_gold: i.isGold ? 1 : 0,
                gold_label: i.goldLabel,
                in_dataset: i.inDataset ? 1 : 0,
                data_json: JSON.stringify(i.data),
                priority: i.priority,
                filled: 0,
              })),
            )
            .execute();
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        if (await this.getProject(project.name)) throw MloopError.alreadyExists('labeling project', project.name);
        throw MloopError.invalidArgument(`project '${project.name}' has two items with the same id`, { cause: err });
      }
      throw err;
    }
  }

  async getProject(name: string): Promise<LabelingProject | undefined> {
    const r = await this.db.selectFrom('labeling_projects').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toProject(r) : undefined;
  }

  async listProjects(): Promise<LabelingProject[]> {
    const rows = await this.db.selectFrom('labeling_projects').selectAll().orderBy('name').execute();
    return rows.map(toProject);
  }

  next(q: NextRequest): Promise<LeasedItem | undefined> {
    // A unique violation means a parallel call of the same annotator leased the same item: try again.
    return retrying(
      () => this.db.transaction().execute((tx) => this.nextIn(tx, q)),
      (e) => isBusy(e) || isUniqueViolation(e),
    );
  }

  private async nextIn(tx: Transaction<DatabaseSchema>, q: NextRequest): Promise<LeasedItem | undefined> {
    const now = q.now.toISOString();
    // The annotator's row serialises their own parallel calls (a row lock where the backend has them).
    await tx
      .insertInto('labeling_annotators')
      .values({
        project_id: q.projectId,
        worker: q.annotator,
        state: 'active',
        reason: null,
        changed_at: now,
        changed_by: q.annotator,
      })
      .onConflict((oc) => oc.columns(['project_id', 'worker']).doNothing())
      .execute();
    let me = tx
      .selectFrom('labeling_annotators')
      .select('state')
      .where('project_id', '=', q.projectId)
      .where('worker', '=', q.annotator);
    if (this.caps.supportsSkipLocked) me = me.forUpdate();
    const state = await me.executeTakeFirstOrThrow();
    if (state.state === 'paused') {
      throw MloopError.failedPrecondition(`annotator '${q.annotator}' is paused in this project`, {
        hint: 'ask the project owner to review your work and resume you',
      });
    }
    await this.expireIn(tx, q.projectId, now);
    const live = await tx
      .selectFrom('labeling_assignments')
      .selectAll()
      .where('project_id', '=', q.projectId)
      .where('annotator', '=', q.annotator)
      .where('state', '=', 'leased')
      .orderBy('leased_at')
      .executeTakeFirst();
    if (live) return { assignment: toAssignment(live), item: toItem(await this.itemIn(tx, q.projectId, live.item_key)) };
    for (const kind of q.order) {
      const leased = await this.leaseIn(tx, q, kind, now);
      if (leased) return leased;
    }
    return undefined;
  }

  private async leaseIn(
    tx: Transaction<DatabaseSchema>,
    q: NextRequest,
    kind: 'gold' | 'regular',
    now: string,
  ): Promise<LeasedItem | undefined> {
    for (let attempt = 0; attempt < 50; attempt++) {
      let pick = tx
        .selectFrom('labeling_items as i')
        .selectAll('i')
        .where('i.project_id', '=', q.projectId)
        .where('i.is_gold', '=', kind === 'gold' ? 1 : 0)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('labeling_assignments as a')
                .select('a.id')
                .whereRef('a.project_id', '=', 'i.project_id')
                .whereRef('a.item_key', '=', 'i.item_key')
                .where('a.annotator', '=', q.annotator)
                .where('a.state', '!=', 'expired'),
            ),
          ),
        );
      if (kind === 'regular') pick = pick.where('i.filled', '<', q.overlap).orderBy('i.priority', 'desc');
      pick = pick.orderBy('i.position').limit(1);
      if (this.caps.supportsSkipLocked) pick = pick.forUpdate().skipLocked();
      const row = await pick.executeTakeFirst();
      if (!row) return undefined;
      // The conditional update is what keeps the bound: it fails when another caller took the last slot.
      let bump = tx
        .updateTable('labeling_items')
        .set((eb) => ({ filled: eb('filled', '+', 1) }))
        .where('project_id', '=', q.projectId)
        .where('item_key', '=', row.item_key);
      if (kind === 'regular') bump = bump.where('filled', '<', q.overlap);
      const bumped = await bump.executeTakeFirst();
      if (Number(bumped.numUpdatedRows) !== 1) continue;
      const token = randomBytes(18).toString('base64url');
      const expires = new Date(q.now.getTime() + q.leaseMs).toISOString();
      const revived = await tx
        .updateTable('labeling_assignments')
        .set({ state: 'leased', lease_token: token, leased_at: now, expires_at: expires, finished_at: null })
        .where('project_id', '=', q.projectId)
        .where('item_key', '=', row.item_key)
        .where('annotator', '=', q.annotator)
        .where('state', '=', 'expired')
        .returningAll()
        .executeTakeFirst();
      const assignment =
        revived ??
        (await tx
          .insertInto('labeling_assignments')
          .values({
            id: newId('asg'),
            project_id: q.projectId,
            item_key: row.item_key,
            annotator: q.annotator,
            state: 'leased',
            lease_token: token,
            leased_at: now,
            expires_at: expires,
            finished_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow());
      return { assignment: toAssignment(assignment), item: toItem({ ...row, filled: Number(row.filled) + 1 }) };
    }
    throw MloopError.unavailable('the labeling queue is too busy; retry');
  }

  private async itemIn(db: Db, projectId: string, key: string): Promise<ItemRow> {
    return db
      .selectFrom('labeling_items')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('item_key', '=', key)
      .executeTakeFirstOrThrow();
  }

  private async freeSlots(tx: Db, projectId: string, keys: readonly string[]): Promise<void> {
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
    await this.addFilled(tx, projectId, counts, -1);
  }

  /** Adds `sign × count` to `filled` of each item, in batched statements. */
  private async addFilled(tx: Db, projectId: string, counts: ReadonlyMap<string, number>, sign: 1 | -1): Promise<void> {
    for (const batch of chunks([...counts], 200)) {
      const cases = sql.join(
        batch.map(([k, n]) => sql`WHEN ${k} THEN CAST(${sign * n} AS INTEGER)`),
        sql` `,
      );
      await tx
        .updateTable('labeling_items')
        .set({ filled: sql<number>`filled + (CASE item_key ${cases} ELSE 0 END)` })
        .where('project_id', '=', projectId)
        .where(
          'item_key',
          'in',
          batch.map(([k]) => k),
        )
        .execute();
    }
  }

  private async expireIn(tx: Db, projectId: string, now: string): Promise<number> {
    const expired = await tx
      .updateTable('labeling_assignments')
      .set({ state: 'expired', finished_at: now })
      .where('project_id', '=', projectId)
      .where('state', '=', 'leased')
      .where('expires_at', '<=', now)
      .returning('item_key')
      .execute();
    if (expired.length > 0)
      await this.freeSlots(
        tx,
        projectId,
        expired.map((r) => r.item_key),
      );
    return expired.length;
  }

  expireLeases(projectId: string, now: Date): Promise<number> {
    return retrying(() => this.db.transaction().execute((tx) => this.expireIn(tx, projectId, now.toISOString())), isBusy);
  }

  /** Ends a live lease (`submitted` or `skipped`); NOT_FOUND or CONFLICT as `submit` documents. */
  private async finishLease(
    tx: Transaction<DatabaseSchema>,
    projectId: string,
    annotator: string,
    id: string,
    token: string,
    state: AssignmentState,
    now: string,
  ): Promise<AssignmentRow> {
    const done = await tx
      .updateTable('labeling_assignments')
      .set({ state, finished_at: now })
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .where('annotator', '=', annotator)
      .where('state', '=', 'leased')
      .where('lease_token', '=', token)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (done) return done;
    const found = await tx
      .selectFrom('labeling_assignments')
      .select(['state', 'expires_at'])
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .where('annotator', '=', annotator)
      .executeTakeFirst();
    if (!found) throw MloopError.notFound('assignment', id);
    const why =
      found.state === 'leased' && found.expires_at <= now
        ? 'its lease expired'
        : found.state === 'leased'
          ? 'it was leased again since'
          : `it is ${found.state} already`;
    throw new MloopError('CONFLICT', `assignment ${id} can no longer be answered: ${why}`, {
      details: { assignment: id, state: found.state },
      hint: 'ask for the next item',
    });
  }

  submit(
    projectId: string,
    annotator: string,
    assignmentId: string,
    leaseToken: string,
    label: string,
    now: Date,
  ): Promise<LabelingItem> {
    const at = now.toISOString();
    return retrying(
      () =>
        this.db.transaction().execute(async (tx) => {
          const a = await this.finishLease(tx, projectId, annotator, assignmentId, leaseToken, 'submitted', at);
          await tx
            .insertInto('labeling_answers')
            .values({
              project_id: projectId,
              item_key: a.item_key,
              worker: annotator,
              label,
              source: 'queue',
              answered_at: at,
              flagged: 0,
              flag_reason: null,
            })
            .execute();
          return toItem(await this.itemIn(tx, projectId, a.item_key), false);
        }),
      isBusy,
    ).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new MloopError('CONFLICT', `'${annotator}' answered this item already`, { cause: err });
      throw err;
    });
  }

  skip(projectId: string, annotator: string, assignmentId: string, leaseToken: string, now: Date): Promise<void> {
    const at = now.toISOString();
    return retrying(
      () =>
        this.db.transaction().execute(async (tx) => {
          const a = await this.finishLease(tx, projectId, annotator, assignmentId, leaseToken, 'skipped', at);
          await this.freeSlots(tx, projectId, [a.item_key]);
        }),
      isBusy,
    );
  }

  async importAnswers(
    projectId: string,
    answers: ReadonlyArray<{ item: string; worker: string; label: string }>,
    now: Date,
  ): Promise<ImportAnswersResult> {
    const at = now.toISOString();
    return retrying(
      () =>
        this.db.transaction().execute(async (tx) => {
          const existing = new Set(
            (
              await tx.selectFrom('labeling_answers').select(['item_key', 'worker']).where('project_id', '=', projectId).execute()
            ).map((r) => `${r.item_key}\u0000${r.worker}`),
          );
          const fresh = answers.filter((a) => {
            const key = `${a.item}\u0000${a.worker}`;
            if (existing.has(key)) return false;
            existing.add(key);
            return true;
          });
          for (const batch of chunks(fresh, 200)) {
            await tx
              .insertInto('labeling_answers')
              .values(
                batch.map((a) => ({
                  project_id: projectId,
                  item_key: a.item,
                  worker: a.worker,
                  label: a.label,
                  source: 'import',
                  answered_at: at,
                  flagged: 0,
                  flag_reason: null,
                })),
              )
              .execute();
            // A submitted assignment per answer: the queue then never offers the item to that worker.
            await tx
              .insertInto('labeling_assignments')
              .values(
                batch.map((a) => ({
                  id: newId('asg'),
                  project_id: projectId,
                  item_key: a.item,
                  annotator: a.worker,
                  state: 'submitted',
                  lease_token: '',
                  leased_at: at,
                  expires_at: at,
                  finished_at: at,
                })),
              )
              .onConflict((oc) => oc.columns(['project_id', 'item_key', 'annotator']).doNothing())
              .execute();
          }
          const counts = new Map<string, number>();
          for (const a of fresh) counts.set(a.item, (counts.get(a.item) ?? 0) + 1);
          await this.addFilled(tx, projectId, counts, 1);
          return { inserted: fresh.length, existing: answers.length - fresh.length };
        }),
      isBusy,
    );
  }

  async listItems(projectId: string, options: { withData?: boolean } = {}): Promise<LabelingItem[]> {
    const withData = options.withData !== false;
    const rows = await this.db
      .selectFrom('labeling_items')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('position')
      .execute();
    return rows.map((r) => toItem(r, withData));
  }

  async getItem(projectId: string, key: string): Promise<LabelingItem | undefined> {
    const r = await this.db
      .selectFrom('labeling_items')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('item_key', '=', key)
      .executeTakeFirst();
    return r ? toItem(r) : undefined;
  }

  async setPriorities(projectId: string, priorities: ReadonlyMap<string, number>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const batch of chunks([...priorities], 200)) {
        const cases = sql.join(
          batch.map(([k, p]) => sql`WHEN ${k} THEN CAST(${p} AS DOUBLE PRECISION)`),
          sql` `,
        );
        await tx
          .updateTable('labeling_items')
          .set({ priority: sql<number>`(CASE item_key ${cases} ELSE priority END)` })
          .where('project_id', '=', projectId)
          .where(
            'item_key',
            'in',
            batch.map(([k]) => k),
          )
          .execute();
      }
    });
  }

  async listAnswers(projectId: string, filter: { item?: string; worker?: string } = {}): Promise<AnswerRecord[]> {
    let q = this.db.selectFrom('labeling_answers').selectAll().where('project_id', '=', projectId);
    if (filter.item !== undefined) q = q.where('item_key', '=', filter.item);
    if (filter.worker !== undefined) q = q.where('worker', '=', filter.worker);
    const rows = await q.orderBy('item_key').orderBy('worker').execute();
    return rows.map((r) => ({
      item: r.item_key,
      worker: r.worker,
      label: r.label,
      source: r.source as AnswerRecord['source'],
      answeredAt: r.answered_at,
      flagged: Number(r.flagged) === 1,
      flagReason: r.flag_reason,
    }));
  }

  async adjudicate(projectId: string, d: Adjudication): Promise<void> {
    try {
      await this.db
        .insertInto('labeling_adjudications')
        .values({
          project_id: projectId,
          item_key: d.item,
          label: d.label,
          reviewer: d.reviewer,
          note: d.note,
          consensus_json: JSON.stringify(d.consensus),
          decided_at: d.decidedAt,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new MloopError('CONFLICT', `item '${d.item}' was adjudicated already; a decision is final`, {
          cause: err,
          details: { item: d.item },
        });
      }
      throw err;
    }
  }

  async listAdjudications(projectId: string): Promise<Adjudication[]> {
    const rows = await this.db
      .selectFrom('labeling_adjudications')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('item_key')
      .execute();
    return rows.map((r) => ({
      item: r.item_key,
      label: r.label,
      reviewer: r.reviewer,
      note: r.note,
      consensus: JSON.parse(r.consensus_json) as Adjudication['consensus'],
      decidedAt: r.decided_at,
    }));
  }

  async getAnnotator(projectId: string, worker: string): Promise<AnnotatorState | undefined> {
    const r = await this.db
      .selectFrom('labeling_annotators')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('worker', '=', worker)
      .executeTakeFirst();
    return r && toAnnotator(r);
  }

  async listAnnotators(projectId: string): Promise<AnnotatorState[]> {
    const rows = await this.db
      .selectFrom('labeling_annotators')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('worker')
      .execute();
    return rows.map(toAnnotator);
  }

  pauseAnnotator(
    projectId: string,
    worker: string,
    reason: string,
    actor: string,
    now: Date,
  ): Promise<{ flagged: number; released: number }> {
    const at = now.toISOString();
    return retrying(
      () =>
        this.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('labeling_annotators')
            .values({ project_id: projectId, worker, state: 'paused', reason, changed_at: at, changed_by: actor })
            .onConflict((oc) =>
              oc.columns(['project_id', 'worker']).doUpdateSet({ state: 'paused', reason, changed_at: at, changed_by: actor }),
            )
            .execute();
          const released = await tx
            .updateTable('labeling_assignments')
            .set({ state: 'expired', finished_at: at })
            .where('project_id', '=', projectId)
            .where('annotator', '=', worker)
            .where('state', '=', 'leased')
            .returning('item_key')
            .execute();
          const pending = await tx
            .selectFrom('labeling_answers as a')
            .innerJoin('labeling_items as i', (j) =>
              j.onRef('i.project_id', '=', 'a.project_id').onRef('i.item_key', '=', 'a.item_key'),
            )
            .select('a.item_key')
            .where('a.project_id', '=', projectId)
            .where('a.worker', '=', worker)
            .where('a.flagged', '=', 0)
            .where('i.is_gold', '=', 0)
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('labeling_adjudications as d')
                    .select('d.item_key')
                    .whereRef('d.project_id', '=', 'a.project_id')
                    .whereRef('d.item_key', '=', 'a.item_key'),
                ),
              ),
            )
            .execute();
          const keys = pending.map((r) => r.item_key);
          for (const batch of chunks(keys)) {
            await tx
              .updateTable('labeling_answers')
              .set({ flagged: 1, flag_reason: reason })
              .where('project_id', '=', projectId)
              .where('worker', '=', worker)
              .where('item_key', 'in', batch)
              .execute();
            await tx
              .updateTable('labeling_assignments')
              .set({ state: 'flagged' })
              .where('project_id', '=', projectId)
              .where('annotator', '=', worker)
              .where('state', '=', 'submitted')
              .where('item_key', 'in', batch)
              .execute();
          }
          await this.freeSlots(tx, projectId, [...released.map((r) => r.item_key), ...keys]);
          return { flagged: keys.length, released: released.length };
        }),
      isBusy,
    );
  }

  async resumeAnnotator(projectId: string, worker: string, actor: string, now: Date): Promise<void> {
    const at = now.toISOString();
    await this.db
      .insertInto('labeling_annotators')
      .values({ project_id: projectId, worker, state: 'active', reason: null, changed_at: at, changed_by: actor })
      .onConflict((oc) =>
        oc.columns(['project_id', 'worker']).doUpdateSet({ state: 'active', reason: null, changed_at: at, changed_by: actor }),
      )
      .execute();
  }

  async servedCount(projectId: string, annotator: string): Promise<number> {
    const r = await this.db
      .selectFrom('labeling_assignments')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('project_id', '=', projectId)
      .where('annotator', '=', annotator)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async goldRecord(projectId: string, worker: string): Promise<{ answers: number; correct: number }> {
    const r = await this.db
      .selectFrom('labeling_answers as a')
      .innerJoin('labeling_items as i', (j) =>
        j.onRef('i.project_id', '=', 'a.project_id').onRef('i.item_key', '=', 'a.item_key'),
      )
      .select((eb) => [
        eb.fn.countAll<number | string>().as('answers'),
        eb.fn.sum<number | string | null>(sql`CASE WHEN a.label = i.gold_label THEN 1 ELSE 0 END`).as('correct'),
      ])
      .where('a.project_id', '=', projectId)
      .where('a.worker', '=', worker)
      .where('i.is_gold', '=', 1)
      .executeTakeFirstOrThrow();
    return { answers: Number(r.answers), correct: Number(r.correct ?? 0) };
  }

  async progress(projectId: string, annotator: string, overlap: number, now: Date): Promise<AnnotatorProgress> {
    const mine = await this.db
      .selectFrom('labeling_assignments')
      .select(['state'])
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('project_id', '=', projectId)
      .where('annotator', '=', annotator)
      .groupBy('state')
      .execute();
    const by = new Map(mine.map((r) => [r.state, Number(r.n)]));
    const at = now.toISOString();
    const available = await this.db
      .selectFrom('labeling_items as i')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('i.project_id', '=', projectId)
      .where((eb) => eb.or([eb('i.is_gold', '=', 1), eb('i.filled', '<', overlap)]))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('labeling_assignments as a')
              .select('a.id')
              .whereRef('a.project_id', '=', 'i.project_id')
              .whereRef('a.item_key', '=', 'i.item_key')
              .where('a.annotator', '=', annotator)
              .where((e) =>
                e.or([
                  e('a.state', 'not in', ['expired', 'leased']),
                  e.and([e('a.state', '=', 'leased'), e('a.expires_at', '>', at)]),
                ]),
              ),
          ),
        ),
      )
      .executeTakeFirstOrThrow();
    return {
      answered: (by.get('submitted') ?? 0) + (by.get('flagged') ?? 0),
      skipped: by.get('skipped') ?? 0,
      available: Number(available.n),
    };
  }

  async counts(projectId: string, overlap: number, now: Date): Promise<ProjectCounts> {
    const items = await this.db
      .selectFrom('labeling_items')
      .select((eb) => [eb.fn.countAll<number | string>().as('items'), eb.fn.sum<number | string | null>('is_gold').as('gold')])
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow();
    const perItem = await this.db
      .selectFrom('labeling_answers as a')
      .innerJoin('labeling_items as i', (j) =>
        j.onRef('i.project_id', '=', 'a.project_id').onRef('i.item_key', '=', 'a.item_key'),
      )
      .select(['a.item_key'])
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('a.project_id', '=', projectId)
      .where('a.flagged', '=', 0)
      .where('i.is_gold', '=', 0)
      .groupBy('a.item_key')
      .execute();
    const answers = await this.db
      .selectFrom('labeling_answers')
      .select(['flagged'])
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('project_id', '=', projectId)
      .groupBy('flagged')
      .execute();
    const leases = await this.db
      .selectFrom('labeling_assignments')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('project_id', '=', projectId)
      .where('state', '=', 'leased')
      .where('expires_at', '>', now.toISOString())
      .executeTakeFirstOrThrow();
    return {
      items: Number(items.items),
      gold: Number(items.gold ?? 0),
      complete: perItem.filter((r) => Number(r.n) >= overlap).length,
      started: perItem.length,
      answers: answers.reduce((s, r) => s + Number(r.n), 0),
      flaggedAnswers: Number(answers.find((r) => Number(r.flagged) === 1)?.n ?? 0),
      activeLeases: Number(leases.n),
    };
  }
}
