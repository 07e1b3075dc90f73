/** Monitoring: alert rules on monitored values and the alert history (de-duplicated per breach). */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const monitoring: MigrationSpec = {
  name: '0008_monitoring',
  description: 'monitoring alert rules and alert history',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('monitoring_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('op', 'text', (c) => c.notNull())
      .addColumn('threshold', 'double precision', (c) => c.notNull())
      .addColumn('consecutive', 'integer', (c) => c.notNull())
      .addColumn('window', 'text', (c) => c.notNull())
      .addColumn('webhook', 'text')
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('monitoring_alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('rule_name', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('first_window', 'text', (c) => c.notNull())
      .addColumn('last_window', 'text', (c) => c.notNull())
      .addColumn('windows', 'integer', (c) => c.notNull())
      .addColumn('value', 'double precision')
      .addColumn('threshold', 'double precision', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('resolved_at', 'text')
      .addColumn('delivery', 'text', (c) => c.notNull())
      .addColumn('delivery_error', 'text')
      .addColumn('delivered_at', 'text')
      .execute();
    await db.schema.createIndex('monitoring_alerts_rule_status').on('monitoring_alerts').columns(['rule_id', 'status']).execute();
    await db.schema.createIndex('monitoring_alerts_model_created').on('monitoring_alerts').columns(['model', 'created_at']).execute();
  },
};
