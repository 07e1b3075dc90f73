/** Saved evaluations of model versions: the evidence model cards and promotions cite. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const evaluations: MigrationSpec = {
  name: '0006_evaluations',
  description: 'saved evaluations of model versions',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('model_evaluations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('model_version_id', 'text', (c) => c.notNull().references('model_versions.id').onDelete('restrict'))
      .addColumn('dataset', 'text', (c) => c.notNull())
      .addColumn('report_sha256', 'text', (c) => c.notNull())
      .addColumn('summary_json', 'text', (c) => c.notNull())
      .addColumn('gate_passed', 'integer')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('model_evaluations_version').on('model_evaluations').columns(['model_version_id', 'created_at']).execute();
  },
};
