/**
 * Labeling (issue 8): projects, assignment, consensus, agreement and annotator quality.
 * Today: the quality-control statistics (consensus, agreement, label-error detection).
 */
export * from './quality/index.js';
