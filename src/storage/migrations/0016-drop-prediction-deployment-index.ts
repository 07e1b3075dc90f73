/** Serving: the prediction log keeps no index by deployment. */
import type { Kysely } from 'kysely';
import type { MigrationSpec } from '../migration.js';

export const dropPredictionDeploymentIndex: MigrationSpec = {
  name: '0016_drop_prediction_deployment_index',
  description: 'prediction log: drop the (deployment, at) index; reads by deployment also name the model',
  async up(db: Kysely<unknown>) {
    // Every logged prediction updated it (~10 % of the log writer's SQLite insert), and its only
    // reader, retraining's look at a model's deployments, knows the model: (model, at, id) serves it.
    await db.schema.dropIndex('predictions_deployment_at').ifExists().execute();
  },
};
