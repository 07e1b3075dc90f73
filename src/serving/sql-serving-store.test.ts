import { BACKENDS } from '../storage/test-support/backends.js';
import { SqlServingStore } from './index.js';
import { runServingStoreContract } from './test-support/serving-store-contract.js';

for (const factory of BACKENDS) {
  const available = await factory.available();
  runServingStoreContract(
    `SqlServingStore on ${factory.name}`,
    async () => {
      const t = await factory.make();
      return { store: new SqlServingStore(t.backend.db), cleanup: t.cleanup };
    },
    !available,
  );
}
