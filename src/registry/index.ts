/**
 * Registry (issue 5): named models with numbered versions (allocated in the inserting transaction),
 * aliases with an append-only history, and data-only artifacts. Cards, bundles and ONNX follow.
 */
export { TASKS, parseModelRef, formatModelRef, checkModelName, checkAlias } from './registry.js';
export type { Task, ArtifactRef, VersionRecord, ModelVersion, Model, ModelDescription, AliasMove, ModelRef, SavedEvaluation } from './registry.js';
export type { RegistryStore, NewModelVersion } from './registry-store.js';
export { SqlRegistryStore } from './sql-registry-store.js';
export { RegistryService, generateSigningKey } from './registry-service.js';
export { BUNDLE_FORMAT, DEFAULT_BUNDLE_LIMITS } from './bundle.js';
export type { BundleManifest, BundleLimits } from './bundle.js';
export type { RegisterVersionInput, VersionFile } from './registry-service.js';
export { modelJson, versionJson, moveJson } from './registry-json.js';
export { buildModelCard, renderCardMarkdown, renderCardHtml, escapeHtml } from './model-card.js';
export type { ModelCard } from './model-card.js';
export { exportOnnx, importOnnx, checkOnnxImportAllowed, onnxBytesOf, ONNX_MODEL_FILE, ONNX_SCHEMA_FILE, ONNX_EXPORTABLE_LEARNERS, MAX_ONNX_BYTES } from './onnx-service.js';
export type { OnnxExportResult, OnnxImportOptions } from './onnx-service.js';
export { gbdtToOnnx, linearToOnnx, ONNX_EXPORT_OPSETS } from './onnx-export.js';
export type { OnnxExportInfo, OnnxExportOptions } from './onnx-export.js';
export { OnnxRunner } from './onnx-runner.js';
export type { OnnxColumns } from './onnx-runner.js';
export { parseOnnxSchema, checkSchemaAgainstModel, ONNX_SCHEMA_FORMAT } from './onnx-schema.js';
export type { OnnxSchema, OnnxSchemaInput, OnnxSchemaOutput, OnnxColumnKind } from './onnx-schema.js';
export type { OnnxValueInfo } from './onnx-session.js';
