/**
 * Labeling (issue 8): projects on dataset versions, the assignment queue (leases, overlap, gold
 * questions, priorities), consensus, adjudication, agreement, annotator quality and export, over
 * the quality-control statistics in `quality/`.
 */
export * from './quality/index.js';
export { CONSENSUS_METHODS, DEFAULT_PROJECT_CONFIG, assertProjectName, projectJson, publicProjectJson } from './labeling.js';
export type {
  Adjudication,
  AnnotatorState,
  AnswerRecord,
  Assignment,
  AssignmentState,
  ConsensusMethodName,
  LabelingItem,
  LabelingProject,
  LeasedItem,
  ProjectConfig,
} from './labeling.js';
export type {
  LabelingStore,
  NewItem,
  NextRequest,
  AnnotatorProgress,
  ProjectCounts,
  ImportAnswersResult,
} from './labeling-store.js';
export { SqlLabelingStore } from './sql-labeling-store.js';
export { LabelingService, UNCERTAINTY_STRATEGIES } from './labeling-service.js';
export type {
  CreateProjectInput,
  ServedItem,
  ConsensusItem,
  ConsensusReport,
  AgreementReport,
  AdjudicationEntry,
  LabelingServiceOptions,
  UncertaintyModel,
  UncertaintyStrategy,
} from './labeling-service.js';
export { parseAnswersCsv, parseCsv } from './answers-csv.js';
export type { ExternalAnswer } from './answers-csv.js';
