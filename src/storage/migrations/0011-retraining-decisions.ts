/** The lifecycle loop: every evaluation of a model's retraining triggers, with its verdict and reasons. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const retrainingDecisions: MigrationSpec = {
  name: '0011_retraining_decisions',
  description: 'retraining decisions: each check of the triggers, retrain or not, and why',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('retraining_decisions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      // The check's job key: a retried check finds its decision instead of making another.
      .addColumn('key', 'text', (c) => c.notNull().unique())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('retrain', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('triggers_json', 'text', (c) => c.notNull())
      .addColumn('labels_json', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('retraining_decisions_model').on('retraining_decisions').columns(['model', 'at']).execute();
  },
};
