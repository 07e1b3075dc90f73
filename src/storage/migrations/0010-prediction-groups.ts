/** Serving: the group (sensitive) columns of each logged prediction, for per-group monitoring. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const predictionGroups: MigrationSpec = {
  name: '0010_prediction_groups',
  description: 'prediction log: group (sensitive) column values of each prediction',
  async up(db: Kysely<unknown>) {
    // JSON object of sensitive column → value as sent with the request; null when none were sent.
    await db.schema.alterTable('predictions').addColumn('groups_json', 'text').execute();
  },
};
