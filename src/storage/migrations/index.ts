/** Every migration, in order. Append only: a released migration is never edited or removed. */
import type { MigrationSpec } from '../migration.js';
import { foundation } from './0001-foundation.js';
import { datasets } from './0002-datasets.js';
import { registry } from './0003-registry.js';
import { serving } from './0004-serving.js';
import { labeling } from './0005-labeling.js';
import { evaluations } from './0006-evaluations.js';
import { jobs } from './0007-jobs.js';
import { monitoring } from './0008-monitoring.js';
import { retraining } from './0009-retraining.js';
import { predictionGroups } from './0010-prediction-groups.js';
import { retrainingDecisions } from './0011-retraining-decisions.js';
import { predictionScanIndex } from './0012-prediction-scan-index.js';
import { alertListIndexes } from './0013-alert-list-indexes.js';
import { datasetResults } from './0014-dataset-results.js';
import { predictionProbabilities } from './0015-prediction-probabilities.js';
import { dropPredictionDeploymentIndex } from './0016-drop-prediction-deployment-index.js';

export const MIGRATIONS: readonly MigrationSpec[] = Object.freeze([foundation, datasets, registry, serving, labeling, evaluations, jobs, monitoring, retraining, predictionGroups, retrainingDecisions, predictionScanIndex, alertListIndexes, datasetResults, predictionProbabilities, dropPredictionDeploymentIndex]);
