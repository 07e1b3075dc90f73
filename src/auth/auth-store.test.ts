import { BACKENDS } from '../storage/test-support/backends.js';
import { SqlAuthStore } from './index.js';
import { runAuthStoreContract } from './test-support/auth-store-contract.js';

for (const factory of BACKENDS) {
  const available = await factory.available();
  runAuthStoreContract(
    `SqlAuthStore on ${factory.name}`,
    async () => {
      const t = await factory.make();
      return { store: new SqlAuthStore(t.backend.db), cleanup: t.cleanup };
    },
    !available,
  );
}
