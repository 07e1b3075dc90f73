/** Test support: a DatasetService over a fresh SQLite (or given) backend and a local artifact store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '../../artifacts/index.js';
import { sqliteFactory, type BackendFactory } from '../../storage/test-support/backends.js';
import { DatasetService } from '../dataset-service.js';
import { SqlDatasetStore } from '../sql-dataset-store.js';

export interface ServiceFixture {
  service: DatasetService;
  store: SqlDatasetStore;
  artifacts: LocalArtifactStore;
  /** A scratch folder for input files. */
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeServiceFixture(factory: BackendFactory = sqliteFactory): Promise<ServiceFixture> {
  const t = await factory.make();
  const dir = mkdtempSync(join(tmpdir(), 'mloop-datasets-'));
  const artifacts = new LocalArtifactStore(join(dir, '.artifacts'));
  const store = new SqlDatasetStore(t.backend.db);
  const service = new DatasetService(store, artifacts, { tempDir: join(dir, '.tmp'), clock: () => new Date('2026-03-01T00:00:00Z') });
  return {
    service,
    store,
    artifacts,
    dir,
    async cleanup() {
      await t.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
