/**
 * Test support: a workspace with a text model `support@champion` trained on stationary support
 * requests (no product launch, so `device_setup` is unknown to it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSupportRequests, supportRequestsToCsv } from '../../demo/index.js';
import { trainModel } from '../../training/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';

/** Builds the fixture (a few seconds: one small text model). */
export async function monitoringFixture(options: { env?: NodeJS.ProcessEnv; rows?: number } = {}): Promise<TempWorkspace> {
  const t = await tempWorkspace(options.env ? { env: options.env } : {});
  const file = join(t.dir, 'tickets.csv');
  writeFileSync(file, supportRequestsToCsv(generateSupportRequests({ count: options.rows ?? 1500, seed: 5, launch: false })));
  await t.ws.datasets.importFile({ file, name: 'tickets', actor: 'test', roles: { text: ['text'], label: ['intent'] } });
  await trainModel({ datasets: t.ws.datasets, registry: t.ws.registry }, { dataset: 'tickets@1', name: 'support', targetPrecision: 0.9, actor: 'test', seed: 1 });
  await t.ws.registry.setAlias('test', 'support', 'champion', 1, 'fixture');
  return t;
}
