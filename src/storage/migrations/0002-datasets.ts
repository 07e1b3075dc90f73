/** Datasets, their immutable versions, and lineage edges between versions. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const datasets: MigrationSpec = {
  name: '0002_datasets',
  description: 'datasets, immutable dataset versions, lineage',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('datasets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('dataset_versions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('restrict'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('blob_sha256', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('row_count', 'bigint', (c) => c.notNull())
      .addColumn('schema_json', 'text', (c) => c.notNull())
      .addColumn('source_json', 'text', (c) => c.notNull())
      .addColumn('description_json', 'text', (c) => c.notNull())
      .addColumn('lineage_json', 'text', (c) => c.notNull())
      .addColumn('stats_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addUniqueConstraint('dataset_versions_number', ['dataset_id', 'version'])
      .addUniqueConstraint('dataset_versions_content', ['dataset_id', 'content_hash'])
      .execute();
    await db.schema
      .createTable('dataset_version_parents')
      .addColumn('child_id', 'text', (c) => c.notNull().references('dataset_versions.id').onDelete('restrict'))
      .addColumn('parent_id', 'text', (c) => c.notNull().references('dataset_versions.id').onDelete('restrict'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('dataset_version_parents_pk', ['child_id', 'parent_id'])
      .execute();
    await db.schema.createIndex('dataset_version_parents_parent').on('dataset_version_parents').column('parent_id').execute();
  },
};
