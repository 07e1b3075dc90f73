/** Retraining: a policy per model, retraining runs with their steps, and approvals. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const retraining: MigrationSpec = {
  name: '0009_retraining',
  description: 'retraining policies, runs with steps, approvals',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('retraining_policies')
      .addColumn('model', 'text', (c) => c.primaryKey())
      .addColumn('policy_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('retraining_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      // The job key: a retried job finds its run instead of starting another.
      .addColumn('run_key', 'text', (c) => c.notNull().unique())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('policy_json', 'text', (c) => c.notNull())
      .addColumn('challenger', 'text')
      .addColumn('champion', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('retraining_runs_model').on('retraining_runs').columns(['model', 'created_at']).execute();
    await db.schema
      .createTable('run_steps')
      .addColumn('run_id', 'text', (c) => c.notNull().references('retraining_runs.id').onDelete('cascade'))
      .addColumn('step', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('details_json', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('run_steps_pk', ['run_id', 'step'])
      .execute();
    await db.schema
      .createTable('approvals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().unique().references('retraining_runs.id').onDelete('cascade'))
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('evidence_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('comment', 'text')
      .execute();
    await db.schema.createIndex('approvals_status').on('approvals').columns(['status', 'created_at']).execute();
  },
};
