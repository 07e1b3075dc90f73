/** The store interface the datasets concept needs; SqlDatasetStore implements it for every backend. */
import type { DatasetSummary, DatasetVersion, NewDatasetVersion } from './dataset.js';

/** Result of {@link DatasetStore.addVersion}. */
export interface AddVersionResult {
  version: DatasetVersion;
  /** False when a version with the same content hash existed and was returned instead. */
  created: boolean;
}

/** What a kept result was computed by: a version's profile, or its validation. */
export type DatasetResultKind = 'profile' | 'validation';

/** A result computed from one version, as {@link DatasetStore.keepResult} stores it. */
export interface KeptDatasetResult {
  /** The version's id ({@link DatasetVersion.id}). */
  versionId: string;
  kind: DatasetResultKind;
  /** sha256 hex of everything else the result depends on (options, rules, code format). */
  inputsHash: string;
  /** Those inputs as JSON, for people reading the table. */
  inputsJson: string;
  /** The result as JSON. */
  resultJson: string;
  createdAt: string;
}

/**
 * Metadata of datasets and their immutable versions. Versions are never updated or deleted.
 */
export interface DatasetStore {
  /**
   * Records a version of `v.name`, creating the dataset on first use. In one transaction it allocates
   * the next number N (1, 2, …) and inserts the row, so a failure leaves nothing. When the dataset
   * already has a version with `v.contentHash`, returns that one with `created: false`. Parents named
   * in `v.lineage.parents` must exist (NOT_FOUND otherwise). Safe under concurrent writers.
   */
  addVersion(v: NewDatasetVersion): Promise<AddVersionResult>;

  /** Version N of `name`, or the latest when `version` is undefined; undefined when missing. */
  getVersion(name: string, version?: number): Promise<DatasetVersion | undefined>;

  /** The version of `name` with this content hash, if any. */
  findByContentHash(name: string, contentHash: string): Promise<DatasetVersion | undefined>;

  /** Every dataset, by name. */
  listDatasets(): Promise<DatasetSummary[]>;

  /** Every version of `name`, oldest first; empty when the dataset does not exist. */
  listVersions(name: string): Promise<DatasetVersion[]>;

  /** Versions whose lineage names `ref` (`name@N`) as a parent. */
  listChildren(ref: string): Promise<DatasetVersion[]>;

  /**
   * The result JSON kept for (`versionId`, `kind`, `inputsHash`), or undefined when none is. The
   * version is immutable and the hash names every other input, so a kept result stays valid.
   */
  getResult(versionId: string, kind: DatasetResultKind, inputsHash: string): Promise<string | undefined>;

  /**
   * Keeps a result, replacing one kept under the same (version, kind, inputs hash): a recomputation,
   * or a concurrent writer that computed it too (every call succeeds, one row stays). NOT_FOUND when
   * the version does not exist.
   */
  keepResult(r: KeptDatasetResult): Promise<void>;
}
