/** Monitoring: page the alert history in SQL in its default order, with or without a status filter. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const alertListIndexes: MigrationSpec = {
  name: '0013_alert_list_indexes',
  description: 'monitoring alerts: indexes (updated_at, id) and (status, updated_at, id) for the paged alert list',
  async up(db: Kysely<unknown>) {
    // The dashboard's alert list sorts by the latest update by default, often of the firing alerts only.
    await db.schema.createIndex('monitoring_alerts_updated').on('monitoring_alerts').columns(['updated_at', 'id']).execute();
    await db.schema.createIndex('monitoring_alerts_status_updated').on('monitoring_alerts').columns(['status', 'updated_at', 'id']).execute();
  },
};
