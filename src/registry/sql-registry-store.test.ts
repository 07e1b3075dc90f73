import { BACKENDS } from '../storage/test-support/backends.js';
import { SqlRegistryStore } from './index.js';
import { runRegistryStoreContract } from './test-support/registry-store-contract.js';

for (const factory of BACKENDS) {
  const available = await factory.available();
  runRegistryStoreContract(
    `SqlRegistryStore on ${factory.name}`,
    async () => {
      const t = await factory.make();
      return { store: new SqlRegistryStore(t.backend.db), cleanup: t.cleanup };
    },
    !available,
  );
}
