/** Datasets: results computed from an immutable version (profiles, validations), kept by what they were computed from. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const datasetResults: MigrationSpec = {
  name: '0014_dataset_results',
  description: 'dataset_results: a version\'s profile and validation results, kept per inputs hash so the CLI and every server reuse them',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('dataset_results')
      .addColumn('version_id', 'text', (c) => c.notNull().references('dataset_versions.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      // sha256 of everything the result depends on besides the version (options, rules, the version compared against, code format).
      .addColumn('inputs_hash', 'text', (c) => c.notNull())
      .addColumn('inputs_json', 'text', (c) => c.notNull())
      .addColumn('result_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('dataset_results_pk', ['version_id', 'kind', 'inputs_hash'])
      .execute();
  },
};
