/** Datasets and their immutable versions: names, references, schema, provenance and lineage. */
import { MloopError } from '../errors/index.js';

/** What a column holds, as inferred from its values or declared by a role. */
export const COLUMN_TYPES = Object.freeze(['numeric', 'integer', 'boolean', 'categorical', 'text', 'datetime', 'id'] as const);
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** The part a column plays for training and audits. */
export const COLUMN_ROLES = Object.freeze(['text', 'label', 'id', 'time', 'sensitive'] as const);
export type ColumnRole = (typeof COLUMN_ROLES)[number];

/** One column of a version's schema. */
export interface ColumnSchema {
  /** Column name as stored in the Parquet file. */
  name: string;
  /** DuckDB's physical type, such as `BIGINT`, `DOUBLE`, `VARCHAR`, `TIMESTAMP`. */
  physicalType: string;
  /** Inferred (or role-declared) semantic type. */
  type: ColumnType;
  /** Roles given at import (`--label`, `--sensitive`, …). Sensitive columns are never features unless asked. */
  roles: ColumnRole[];
}

/** Where the data came from. Never holds credentials. */
export type DatasetSource =
  | { kind: 'file'; file: string; format: DataFormat; sha256: string; bytes: number }
  | { kind: 'sql'; query: string; database: string; sha256: string }
  | { kind: 'derived' }
  | { kind: 'upload'; file: string; format: DataFormat; sha256: string; bytes: number };

/** File formats import understands. */
export const DATA_FORMATS = Object.freeze(['csv', 'tsv', 'jsonl', 'parquet'] as const);
export type DataFormat = (typeof DATA_FORMATS)[number];

/** Descriptive provenance a data owner supplies at import. */
export interface DatasetDescription {
  owner: string | null;
  licence: string | null;
  description: string | null;
  /** Collection period as ISO dates or free text, such as `2026-01-01..2026-06-30`. */
  collectionPeriod: string | null;
}

/** How a version was produced from its parents (empty for imports). */
export interface Lineage {
  /** Parent versions as `name@N`. */
  parents: string[];
  /** The exact transform: its kind and every parameter needed to repeat it. */
  transform: { kind: 'import' | 'sql-import' | 'derive' | 'split' | 'redact' | 'label-export'; [parameter: string]: unknown };
}

/** One immutable version `name@N`. */
export interface DatasetVersion {
  id: string;
  name: string;
  version: number;
  /** `name@N`. */
  ref: string;
  /** Identity of the content (see docs/datasets.md, "Content hash"); equal hashes mean the same version. */
  contentHash: string;
  /** sha256 of the Parquet blob in the artifact store. */
  blobSha256: string;
  bytes: number;
  rowCount: number;
  schema: ColumnSchema[];
  source: DatasetSource;
  description: DatasetDescription;
  lineage: Lineage;
  /** Import statistics such as skipped bad rows. */
  stats: Record<string, unknown>;
  createdAt: string;
  createdBy: string;
}

/** A dataset with its latest version number. */
export interface DatasetSummary {
  name: string;
  versions: number;
  latest: number;
  latestRowCount: number;
  createdAt: string;
  updatedAt: string;
}

/** Everything needed to record a new version; the store allocates `version` and `id`. */
export type NewDatasetVersion = Omit<DatasetVersion, 'id' | 'version' | 'ref'>;

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** Throws INVALID_ARGUMENT unless `name` is a valid dataset name (no path characters). */
export function assertDatasetName(name: unknown): asserts name is string {
  if (typeof name === 'string' && NAME.test(name) && !name.includes('..')) return;
  const shown = typeof name === 'string' ? JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name) : `<${typeof name}>`;
  throw MloopError.invalidArgument(`dataset name ${shown} is invalid`, {
    details: { name: typeof name === 'string' ? name.slice(0, 80) : null },
    hint: 'use 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit (no "/", "\\" or "..")',
  });
}

/** A parsed reference: `name@N`, or `name` / `name@latest` for the newest version. */
export interface DatasetRef {
  name: string;
  /** Undefined for the latest version. */
  version: number | undefined;
}

/** Parses `name@N`, `name@latest` or `name`; INVALID_ARGUMENT otherwise. */
export function parseDatasetRef(ref: string): DatasetRef {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const tail = at < 0 ? 'latest' : ref.slice(at + 1);
  assertDatasetName(name);
  if (tail === 'latest') return { name, version: undefined };
  if (!/^[1-9]\d{0,8}$/.test(tail)) {
    throw MloopError.invalidArgument(`dataset reference '${ref}' is invalid: expected name@N with N ≥ 1, or name@latest`);
  }
  return { name, version: Number(tail) };
}

/** `name@N`. */
export function formatRef(name: string, version: number): string {
  return `${name}@${version}`;
}

/** The JSON shape of a version shown by the CLI (`--json`) and the HTTP API. */
export function versionJson(v: DatasetVersion) {
  return {
    ref: v.ref,
    name: v.name,
    version: v.version,
    content_hash: v.contentHash,
    blob_sha256: v.blobSha256,
    bytes: v.bytes,
    row_count: v.rowCount,
    schema: v.schema.map((c) => ({ name: c.name, physical_type: c.physicalType, type: c.type, roles: c.roles })),
    provenance: {
      source: v.source,
      owner: v.description.owner,
      licence: v.description.licence,
      description: v.description.description,
      collection_period: v.description.collectionPeriod,
      imported_by: v.createdBy,
      imported_at: v.createdAt,
    },
    lineage: v.lineage,
    stats: v.stats,
  };
}
export type VersionJson = ReturnType<typeof versionJson>;
