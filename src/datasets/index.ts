/** Datasets: immutable, content-addressed versions with provenance, schema, validation, profiles and lineage. */
export * from './dataset.js';
export type { DatasetStore, AddVersionResult } from './dataset-store.js';
export { SqlDatasetStore } from './sql-dataset-store.js';
export { DatasetService, canonicalHash, fileSha256 } from './dataset-service.js';
export type { DatasetServiceOptions, ImportFileOptions, ImportSqlOptions, ImportResult, LineageReport, ProvenanceInput } from './dataset-service.js';
export type { ReadOptions, BadRow } from './file-stager.js';
export type { ColumnRoles } from './schema-inference.js';
export { loadSchemaFile, parseExpectations, defaultExpectations } from './validation.js';
export type { SchemaExpectations, ColumnExpectations, ExpectationResult, ValidationReport, CheckStatus } from './validation.js';
export { profileVersion } from './profile.js';
export type { DatasetProfile, ColumnProfile, SliceCoverage, ProfileOptions } from './profile.js';
export { profileHtml } from './profile-html.js';
export { findPii, redactText, luhnValid, ibanValid, PII_KINDS, PII_PLACEHOLDERS } from './pii.js';
export type { PiiMatch, PiiType } from './pii.js';
export { SPLIT_METHODS } from './transforms.js';
export type { SplitMethod } from './transforms.js';
export { readColumns } from './read-columns.js';
export type { ColumnData, ColumnsRead } from './read-columns.js';
