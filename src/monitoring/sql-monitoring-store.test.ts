import { SqlServingStore } from '../serving/index.js';
import { BACKENDS } from '../storage/test-support/backends.js';
import { SqlMonitoringStore } from './index.js';
import { runMonitoringStoreContract } from './test-support/monitoring-store-contract.js';

for (const factory of BACKENDS) {
  const available = await factory.available();
  runMonitoringStoreContract(
    `SqlMonitoringStore on ${factory.name}`,
    async () => {
      const t = await factory.make();
      return { store: new SqlMonitoringStore(t.backend.db), serving: new SqlServingStore(t.backend.db), cleanup: t.cleanup };
    },
    !available,
  );
}
