import { BACKENDS } from '../storage/test-support/backends.js';
import { SqlDatasetStore } from './sql-dataset-store.js';
import { runDatasetStoreContract } from './test-support/dataset-store-contract.js';

for (const factory of BACKENDS) {
  const available = await factory.available();
  runDatasetStoreContract(
    `SqlDatasetStore on ${factory.name}`,
    async () => {
      const t = await factory.make();
      return { store: new SqlDatasetStore(t.backend.db), cleanup: t.cleanup };
    },
    !available,
  );
}
