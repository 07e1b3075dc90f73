/** Alert rules on a window series: the breaching run that ends at the latest window, and count windows still filling. */
import { describe, expect, it } from 'vitest';
import type { MonitoringWindow } from '../model-monitor.js';
import { evaluateRule } from './alert-rules.js';

const win = (start: string, predictions: number, accuracy: number | null) =>
  ({ start, end: start, predictions, fairness: null, values: { predictions, 'performance.estimated_accuracy': accuracy } }) as unknown as MonitoringWindow;
const rule = (window: string, consecutive = 1) => ({ metric: 'performance.estimated_accuracy', op: '<' as const, threshold: 0.7, consecutive, window });

describe('evaluateRule', () => {
  it('does not read a trailing count window that holds fewer predictions than its size', () => {
    const full = [win('2026-11-27T06:30:00.000Z', 600, 0.8), win('2026-11-27T06:31:00.000Z', 600, 0.82)];
    // 2401 predictions in windows of 600: the last one holds a single prediction, estimated at 60 %.
    expect(evaluateRule(rule('600'), [...full, win('2026-11-27T06:32:00.000Z', 1, 0.6)])).toBeNull();
    expect(evaluateRule(rule('600'), [win('2026-11-27T06:32:00.000Z', 599, 0.6)])).toBeNull();
    expect(evaluateRule(rule('600'), [])).toBeNull();
    // Once complete, the same window is read.
    expect(evaluateRule(rule('600'), [...full, win('2026-11-27T06:32:00.000Z', 600, 0.6)])).toMatchObject({ windows: 1, value: 0.6, firstWindow: '2026-11-27T06:32:00.000Z' });
    // A breach of complete windows stands, whatever the window still filling says.
    const low = [win('2026-11-27T06:30:00.000Z', 600, 0.6), win('2026-11-27T06:31:00.000Z', 600, 0.65)];
    expect(evaluateRule(rule('600p', 2), [...low, win('2026-11-27T06:32:00.000Z', 3, 0.99)])).toMatchObject({ windows: 2, value: 0.65, lastWindow: '2026-11-27T06:31:00.000Z' });
  });

  it('reads every time window, the latest too', () => {
    const windows = [win('2026-11-16T00:00:00.000Z', 500, 0.8), win('2026-11-23T00:00:00.000Z', 4, 0.6)];
    expect(evaluateRule(rule('7d'), windows)).toMatchObject({ windows: 1, value: 0.6, message: 'performance.estimated_accuracy = 0.6 < 0.7 in 1 consecutive 7d window(s) since 2026-11-23T00:00:00.000Z' });
    expect(evaluateRule(rule('7d', 2), windows)).toBeNull();
  });
});
