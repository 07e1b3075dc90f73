import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { demoMonitoring } from './index.js';
import { monitoringFixture } from './test-support/monitoring-fixture.js';

let f: TempWorkspace;
beforeAll(async () => {
  f = await monitoringFixture();
}, 180_000);
afterAll(async () => f?.cleanup());

describe('demoMonitoring', () => {
  it('replays drifting traffic: drift detected, realized accuracy falls where labels arrive, the estimate falls before they do', async () => {
    const r = await demoMonitoring(f.ws);
    expect(r.predictions).toBe(1500);
    expect(r.driftDetected).toBe(true);
    expect(r.driftDetectedAt! >= r.launch).toBe(true);
    expect(r.realizedFell).toBe(true);
    expect(r.estimatedFellBeforeLabels).toBe(true);
    // The text drifts in every full window after the launch and in none before it (where the
    // generator's month-start billing peaks and new month names are real but small shifts).
    const share = (ws: typeof r.report.windows) => ws.filter((w) => (w.dataset_drift?.drifted ?? 0) > 0).length / ws.length;
    const before = r.report.windows.filter((w) => w.end <= r.launch);
    const after = r.report.windows.filter((w) => w.start >= r.launch && w.predictions >= 80);
    expect(before.length).toBeGreaterThan(2);
    expect(share(after)).toBe(1);
    expect(share(before)).toBe(0);
    // Review share rises as confidence falls.
    expect(after.at(-1)!.prediction.review_share).toBeGreaterThan(before[0]!.prediction.review_share);
    // Labelled windows compare the estimate with what happened.
    const labelled = r.report.windows.filter((w) => w.performance.labels > 30);
    expect(labelled.length).toBeGreaterThan(5);
    for (const w of labelled) expect(Math.abs(w.performance.estimation_error!)).toBeLessThan(0.15);
  }, 180_000);

  it('fails with NOT_FOUND when the model has no such alias', async () => {
    await expect(demoMonitoring(f.ws, { alias: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
