/** Monitoring: read a model's prediction log in (at, id) order without sorting it for every page. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const predictionScanIndex: MigrationSpec = {
  name: '0012_prediction_scan_index',
  description: 'prediction log: index (model, at, id) for monitoring reads in time order across versions',
  async up(db: Kysely<unknown>) {
    // Without it each page of a model's log (all versions) sorted every row of the model:
    // 200 pages of a 200k-row log took most of a monitoring report's time.
    await db.schema.createIndex('predictions_model_at_id').on('predictions').columns(['model', 'at', 'id']).execute();
  },
};
