/** Models, numbered versions, aliases and the append-only alias history. */
import type { Kysely } from 'kysely';
import type { BackendCapabilities } from '../capabilities.js';
import type { MigrationSpec } from '../migration.js';

export const registry: MigrationSpec = {
  name: '0003_registry',
  description: 'models, model versions, aliases, alias history',
  async up(db: Kysely<unknown>, caps: BackendCapabilities) {
    await db.schema
      .createTable('models')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('task', 'text', (c) => c.notNull())
      .addColumn('description_json', 'text', (c) => c.notNull())
      .addColumn('last_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('model_versions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('restrict'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('task', 'text', (c) => c.notNull())
      .addColumn('run_key', 'text')
      .addColumn('record_json', 'text', (c) => c.notNull())
      .addColumn('artifacts_json', 'text', (c) => c.notNull())
      .addColumn('tags_json', 'text', (c) => c.notNull())
      .addColumn('notes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addUniqueConstraint('model_versions_number', ['model_id', 'version'])
      .addUniqueConstraint('model_versions_run_key', ['model_id', 'run_key'])
      .execute();
    await db.schema
      .createTable('model_aliases')
      .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('restrict'))
      .addColumn('alias', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('model_aliases_pk', ['model_id', 'alias'])
      .execute();
    await db.schema
      .createTable('alias_history')
      .addColumn('seq', 'integer', (c) =>
        caps.autoIncrementPrimaryKey === 'identity' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
      )
      .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('restrict'))
      .addColumn('alias', 'text', (c) => c.notNull())
      .addColumn('from_version', 'integer')
      .addColumn('to_version', 'integer')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('evidence_json', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('alias_history_model').on('alias_history').columns(['model_id', 'seq']).execute();
  },
};
