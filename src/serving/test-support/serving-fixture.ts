/**
 * Test support: a workspace with a small text model `support` — versions 1 and 2 trained with
 * different seeds (with a stored threshold), version 3 registered with corrupt artifacts — and
 * `support@champion` → 1. The dataset marks `region` sensitive (a group column, not a feature).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSupportRequests, supportRequestsToCsv } from '../../demo/index.js';
import { trainModel } from '../../training/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';

export interface ServingFixture extends TempWorkspace {
  /** Texts from the same generator, for requests. */
  texts: string[];
  /** Intents of `texts`. */
  intents: string[];
}

/** Builds the fixture (about 10 s: two small text models). */
export async function servingFixture(options: { databaseUrl?: string; rows?: number } = {}): Promise<ServingFixture> {
  const t = await tempWorkspace(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {});
  const file = join(t.dir, 'support.csv');
  writeFileSync(file, supportRequestsToCsv(generateSupportRequests({ count: options.rows ?? 800, seed: 11 })));
  await t.ws.datasets.importFile({ file, name: 'tickets', actor: 'test', roles: { text: ['text'], label: ['intent'], sensitive: ['region'] } });
  const deps = { datasets: t.ws.datasets, registry: t.ws.registry };
  await trainModel(deps, { dataset: 'tickets@1', name: 'support', targetPrecision: 0.9, actor: 'test', seed: 1 });
  await trainModel(deps, { dataset: 'tickets@1', name: 'support', targetPrecision: 0.9, actor: 'test', seed: 2, validationFraction: 0.3 });
  const v1 = await t.ws.registry.resolve('support@1');
  await t.ws.registry.registerVersion('test', { model: 'support', task: v1.task, record: v1.record, files: [{ name: 'text-model.json', data: '{"corrupt": true' }], runKey: 'corrupt' });
  await t.ws.registry.setAlias('test', 'support', 'champion', 1, 'fixture');
  await t.ws.registry.setAlias('test', 'support', 'challenger', 2, 'fixture');
  const sample = generateSupportRequests({ count: 200, seed: 99 });
  return { ...t, texts: sample.map((r) => r.text), intents: sample.map((r) => r.intent) };
}
