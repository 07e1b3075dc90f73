/** Alert rules evaluated on a monitoring snapshot: a breach is the run of windows, ending at the latest, where the condition holds. */
import { breaches, parseWindow, type AlertRule } from '../monitoring.js';
import { BIAS_METRIC_KEYS, type BiasMetricKey } from '../../fairness/index.js';
import type { MonitoringWindow } from '../model-monitor.js';

/** The current breach of a rule, or null when the latest `consecutive` windows do not all breach. */
export interface RuleBreach {
  /** Start of the first window of the uninterrupted run of breaching windows that ends at the latest window. */
  firstWindow: string;
  lastWindow: string;
  windows: number;
  value: number | null;
  message: string;
}

/**
 * Evaluates a rule on a window series (oldest first). With a count window (`600`), a trailing
 * window holding fewer predictions than its size is still filling and is not read: its values
 * (an accuracy estimated from one prediction) would raise false alarms.
 */
export function evaluateRule(rule: Pick<AlertRule, 'metric' | 'op' | 'threshold' | 'consecutive' | 'window'>, all: readonly MonitoringWindow[]): RuleBreach | null {
  const spec = parseWindow(rule.window);
  const windows = spec.kind === 'count' && all.length > 0 && all.at(-1)!.predictions < spec.size ? all.slice(0, -1) : all;
  let run = 0;
  for (let i = windows.length - 1; i >= 0; i--) {
    if (!breaches(rule.op, windows[i]!.values[rule.metric] ?? null, rule.threshold)) break;
    run++;
  }
  if (run < rule.consecutive || run === 0) return null;
  const last = windows.at(-1)!;
  const first = windows[windows.length - run]!;
  const value = last.values[rule.metric] ?? null;
  const shown = value === null ? 'n/a' : Number(value.toPrecision(4));
  return {
    firstWindow: first.start,
    lastWindow: last.start,
    windows: run,
    value,
    message: `${rule.metric} = ${shown} ${rule.op} ${rule.threshold} in ${run} consecutive ${rule.window} window(s) since ${first.start}${gapGroups(rule.metric, last)}`,
  };
}

/** For a fairness gap: the groups at its extremes in the latest window, e.g. ` (accuracy: south 0.7100, north 0.8900)`. */
function gapGroups(metric: string, w: MonitoringWindow): string {
  const m = new RegExp(`^fairness\\.(.+)\\.(${BIAS_METRIC_KEYS.join('|')})(?:\\.(?:lower|upper))?$`).exec(metric);
  if (!m || !w.fairness) return '';
  const gap = w.fairness.attributes.find((a) => a.attribute === m[1])?.gaps[m[2] as BiasMetricKey];
  if (!gap?.min || !gap.max) return '';
  const cls = gap.class === null ? '' : ` of '${gap.class}'`;
  // group names come from requests: keep them short in a message
  const name = (g: string) => (g.length > 40 ? `${g.slice(0, 39)}…` : g);
  return ` (${gap.rate}${cls}: ${name(gap.min.group)} ${gap.min.value.toFixed(4)}, ${name(gap.max.group)} ${gap.max.value.toFixed(4)}; bounds ${gap.lower?.toFixed(4)}–${gap.upper?.toFixed(4)})`;
}
