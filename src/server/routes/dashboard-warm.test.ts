/** The server's start-up monitoring reports honour monitoring.warmRows (MLOOP_MONITORING_WARM_ROWS). */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSupportRequests } from '../../demo/index.js';
import { MonitoringResultCache } from '../../monitoring/index.js';
import { monitoringFixture } from '../../monitoring/test-support/monitoring-fixture.js';
import { demoServing } from '../../serving/index.js';
import { openWorkspace, type Workspace } from '../../workspace/index.js';
import type { TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { buildServer } from '../index.js';

const REQUESTS = 40;
let f: TempWorkspace;

beforeAll(async () => {
  f = await monitoringFixture({ rows: 300, env: { MLOOP_MONITORING_WARM_ROWS: '10' } });
  const traffic = generateSupportRequests({ count: REQUESTS, seed: 4, launch: false });
  await demoServing(f.ws, { model: 'support', rows: traffic.map((t) => ({ text: t.text })), actor: 'test' });
}, 180_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await f?.cleanup();
});

/** Starts a server on `ws`, waits for its start-up walk and returns the bound it was given and what it did. */
async function startUpWalk(ws: Workspace) {
  const warm = vi.spyOn(MonitoringResultCache.prototype, 'warm');
  const app = await buildServer(ws);
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    await vi.waitFor(() => expect(warm).toHaveBeenCalled(), { timeout: 30_000, interval: 20 });
    const result = await warm.mock.results[0]!.value;
    return { maxRows: warm.mock.calls[0]![2]?.maxRows, result };
  } finally {
    await app.close();
    warm.mockRestore();
  }
}

describe('monitoring.warmRows', () => {
  it('bounds the start-up walk: a log past the setting is deferred to the first visit, a log within it is computed', async () => {
    expect(f.ws.config.monitoring.warmRows).toBe(10);
    const small = await startUpWalk(f.ws);
    expect(small).toEqual({ maxRows: 10, result: [{ model: 'support', error: null, deferred: true }] });
    // The same workspace opened with a bound above its 40 logged predictions.
    const ws = await openWorkspace({ workspace: f.dir, env: { MLOOP_MONITORING_WARM_ROWS: '1000' } });
    try {
      const big = await startUpWalk(ws);
      expect(big).toEqual({ maxRows: 1000, result: [{ model: 'support', error: null }] });
    } finally {
      await ws.close();
    }
  }, 120_000);
});
