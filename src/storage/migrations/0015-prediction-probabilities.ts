/** Serving: a classifier's logged probabilities as numbers, their class list stored once. */
import type { Kysely } from 'kysely';
import type { BackendCapabilities } from '../capabilities.js';
import type { MigrationSpec } from '../migration.js';

export const predictionProbabilities: MigrationSpec = {
  name: '0015_prediction_probabilities',
  description: 'prediction log: probabilities as float64 bytes with a class list stored once, not JSON text in every row',
  async up(db: Kysely<unknown>, caps: BackendCapabilities) {
    // The probabilities' JSON text was most of a logged row (~40 bytes a class): writing it cost the
    // log's writer a quarter of its CPU per row, and the log twice its size. Earlier rows keep theirs
    // in outputs_json; readers accept both forms (src/serving/stored-probabilities.ts).
    await db.schema
      .createTable('prediction_classes')
      .addColumn('id', 'integer', (c) =>
        caps.autoIncrementPrimaryKey === 'identity' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
      )
      .addColumn('names_json', 'text', (c) => c.notNull().unique())
      .execute();
    await db.schema.alterTable('predictions').addColumn('probabilities', caps.binaryColumnType).execute();
    await db.schema.alterTable('predictions').addColumn('classes_id', 'integer').execute();
  },
};
