/** The store interface the datasets concept needs; SqlDatasetStore implements it for every backend. */
import type { DatasetSummary, DatasetVersion, NewDatasetVersion } from './dataset.js';

/** Result of {@link DatasetStore.addVersion}. */
export interface AddVersionResult {
  version: DatasetVersion;
  /** False when a version with the same content hash existed and was returned instead. */
  created: boolean;
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
}
