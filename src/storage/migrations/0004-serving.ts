/** Serving: deployments, the prediction log, the human-review queue and ground truth. */
import type { Kysely } from 'kysely';
import type { BackendCapabilities } from '../capabilities.js';
import type { MigrationSpec } from '../migration.js';

export const serving: MigrationSpec = {
  name: '0004_serving',
  description: 'deployments, prediction log, review queue, ground truth',
  async up(db: Kysely<unknown>, caps: BackendCapabilities) {
    await db.schema
      .createTable('deployments')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('ref', 'text', (c) => c.notNull())
      .addColumn('shadow_ref', 'text')
      .addColumn('canary_ref', 'text')
      .addColumn('canary_percent', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('predictions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('deployment', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('primary_id', 'text')
      .addColumn('request_id', 'text')
      .addColumn('inputs_json', 'text', (c) => c.notNull())
      .addColumn('outputs_json', 'text', (c) => c.notNull())
      .addColumn('label', 'text')
      .addColumn('confidence', 'double precision')
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('latency_ms', 'double precision', (c) => c.notNull())
      .addColumn('redacted', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('predictions_deployment_at').on('predictions').columns(['deployment', 'at']).execute();
    await db.schema.createIndex('predictions_model_version_at').on('predictions').columns(['model', 'version', 'at']).execute();
    await db.schema
      .createTable('review_queue')
      .addColumn('prediction_id', 'text', (c) => c.primaryKey())
      .addColumn('deployment', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('predicted', 'text')
      .addColumn('confidence', 'double precision')
      .addColumn('answer', 'text')
      .addColumn('answered_by', 'text')
      .addColumn('answered_at', 'text')
      .execute();
    await db.schema.createIndex('review_queue_status').on('review_queue').columns(['status', 'created_at']).execute();
    await db.schema
      .createTable('ground_truth')
      .addColumn('seq', 'integer', (c) =>
        caps.autoIncrementPrimaryKey === 'identity' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
      )
      .addColumn('prediction_id', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('ground_truth_prediction').on('ground_truth').columns(['prediction_id', 'seq']).execute();
  },
};
