/** The demo's mitigation step: group-specific automation thresholds for the first model, registered as a new version (not deployed). */
import { isMloopError } from '../errors/index.js';
import { applyMitigation, mitigateModel } from '../training/index.js';
import type { Workspace } from '../workspace/index.js';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);

/**
 * Chooses per-region automation thresholds for `model` on the validation split (equal automatic
 * shares within 5 points) and applies them as a new version. Small demos whose regions are too
 * small to adjust, or a model without an automation threshold, report why nothing was applied.
 */
export async function demoMitigation(
  ws: Workspace,
  options: { model: string; validation: string; actor: string },
): Promise<{ summary: string; details: Record<string, unknown> }> {
  const deps = { datasets: ws.datasets, registry: ws.registry };
  try {
    const r = await mitigateModel(deps, { model: options.model, dataset: options.validation, sensitive: 'region', constraint: 'auto_share', tolerance: 0.05, targetPrecision: 0.97 });
    const v = r.plan.validation;
    const figures = `on ${r.dataset} the gap in automatic share across regions goes from ${pct(v.before.gap)} to ${pct(v.after.gap)}, coverage ${pct(v.before.coverage)} → ${pct(v.after.coverage)}, precision ${pct(v.before.precision)} → ${pct(v.after.precision)}`;
    if (!r.plan.feasible) return { summary: `mitigation of ${r.model} not applied: ${r.plan.message}`, details: { plan: r.plan, applied: null } };
    const applied = await applyMitigation(deps, options.actor, r);
    return {
      summary: `per-region automation thresholds for ${r.model} (auto_share, tolerance 0.05, break-even precision 0.97): ${figures}; registered as ${applied.version.ref} (same weights, the plan in its thresholds), not deployed`,
      details: { plan: { thresholds: applied.version.record.thresholds?.['groups'], validation: v }, applied: applied.version.ref, source: r.model },
    };
  } catch (err) {
    if (isMloopError(err) && (err.code === 'FAILED_PRECONDITION' || err.code === 'INVALID_ARGUMENT')) return { summary: `mitigation of ${options.model} not applied: ${err.message}`, details: { applied: null } };
    throw err;
  }
}
