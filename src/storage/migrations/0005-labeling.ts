/** Labeling: projects, their items, assignments (leases), answers, adjudications and annotator states. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const labeling: MigrationSpec = {
  name: '0005_labeling',
  description: 'labeling projects, items, assignments, answers, adjudications, annotators',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('labeling_projects')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('dataset_ref', 'text', (c) => c.notNull())
      .addColumn('gold_ref', 'text')
      .addColumn('config_json', 'text', (c) => c.notNull())
      .addColumn('instructions', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('labeling_items')
      .addColumn('project_id', 'text', (c) => c.notNull().references('labeling_projects.id').onDelete('cascade'))
      .addColumn('item_key', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('is_gold', 'integer', (c) => c.notNull())
      .addColumn('gold_label', 'text')
      .addColumn('in_dataset', 'integer', (c) => c.notNull())
      .addColumn('data_json', 'text', (c) => c.notNull())
      .addColumn('priority', 'double precision', (c) => c.notNull())
      .addColumn('filled', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('labeling_items_pk', ['project_id', 'item_key'])
      .execute();
    await db.schema
      .createIndex('labeling_items_queue')
      .on('labeling_items')
      .columns(['project_id', 'is_gold', 'filled', 'priority', 'position'])
      .execute();
    await db.schema
      .createTable('labeling_assignments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('labeling_projects.id').onDelete('cascade'))
      .addColumn('item_key', 'text', (c) => c.notNull())
      .addColumn('annotator', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('lease_token', 'text', (c) => c.notNull())
      .addColumn('leased_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .addUniqueConstraint('labeling_assignments_once', ['project_id', 'item_key', 'annotator'])
      .execute();
    await db.schema
      .createIndex('labeling_assignments_state')
      .on('labeling_assignments')
      .columns(['project_id', 'state', 'expires_at'])
      .execute();
    await db.schema
      .createIndex('labeling_assignments_annotator')
      .on('labeling_assignments')
      .columns(['project_id', 'annotator', 'state'])
      .execute();
    await db.schema
      .createTable('labeling_answers')
      .addColumn('project_id', 'text', (c) => c.notNull().references('labeling_projects.id').onDelete('cascade'))
      .addColumn('item_key', 'text', (c) => c.notNull())
      .addColumn('worker', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('answered_at', 'text', (c) => c.notNull())
      .addColumn('flagged', 'integer', (c) => c.notNull())
      .addColumn('flag_reason', 'text')
      .addPrimaryKeyConstraint('labeling_answers_pk', ['project_id', 'item_key', 'worker'])
      .execute();
    await db.schema
      .createTable('labeling_adjudications')
      .addColumn('project_id', 'text', (c) => c.notNull().references('labeling_projects.id').onDelete('cascade'))
      .addColumn('item_key', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('reviewer', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('consensus_json', 'text', (c) => c.notNull())
      .addColumn('decided_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('labeling_adjudications_pk', ['project_id', 'item_key'])
      .execute();
    await db.schema
      .createTable('labeling_annotators')
      .addColumn('project_id', 'text', (c) => c.notNull().references('labeling_projects.id').onDelete('cascade'))
      .addColumn('worker', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('changed_at', 'text', (c) => c.notNull())
      .addColumn('changed_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('labeling_annotators_pk', ['project_id', 'worker'])
      .execute();
  },
};
