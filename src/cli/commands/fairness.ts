/** `mloop fairness mitigate`: group-specific thresholds for a parity constraint, with their accuracy cost. */
import { InvalidArgumentError, type Command } from 'commander';
import { PARITY_CONSTRAINTS, type MitigationFigures, type ParityConstraint } from '../../fairness/index.js';
import { MloopError } from '../../errors/index.js';
import { localPrincipal } from '../../auth/index.js';
import { applyMitigation, mitigateModel } from '../../training/index.js';
import { table } from '../context.js';
import type { Runner } from '../program.js';

function parseUnit(name: string, open: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!(open ? n > 0 && n < 1 : n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number in ${open ? '(0, 1)' : '[0, 1]'}, got '${value}'`);
    return n;
  };
}

const num = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(4));
const threshold = (t: number) => (t === Infinity ? 'never' : t.toFixed(4));

export function registerFairness(program: Command, run: Runner): void {
  const fairness = program.command('fairness').description('bias mitigation for registered models');
  fairness
    .command('mitigate')
    .description('choose group-specific thresholds on validation data to meet a parity constraint, and report the accuracy cost')
    .argument('<model>', 'model reference: name, name@N or name@alias')
    .argument('<dataset>', 'validation data with labels and the sensitive column, name@N')
    .requiredOption('--sensitive <col>', 'the sensitive column whose groups get their own thresholds')
    .requiredOption('--constraint <name>', `one of ${PARITY_CONSTRAINTS.join(', ')}`)
    .option('--tolerance <gap>', 'largest allowed gap between groups on the validation data', parseUnit('--tolerance', false), 0.02)
    .option('--target-precision <p>', 'auto_share/auto_precision: break-even precision of an automatic decision (default: the validation precision at the stored threshold)', parseUnit('--target-precision', true))
    .option('--positive-label <class>', "demographic_parity/equal_opportunity: the favourable class (default: a binary model's second class; needed for a multiclass model)")
    .option('--apply', 'register a new version of the model with these group thresholds (same weights), for serving to apply')
    .action(
      run(async (ctx, model: string, dataset: string, opts: { sensitive: string; constraint: string; tolerance: number; targetPrecision?: number; positiveLabel?: string; apply?: boolean }) => {
        if (!PARITY_CONSTRAINTS.includes(opts.constraint as ParityConstraint)) {
          throw MloopError.invalidArgument(`unknown constraint '${opts.constraint}'; valid: ${PARITY_CONSTRAINTS.join(', ')}`);
        }
        const { r, applied } = await ctx.withWorkspace(async (ws) => {
          const r = await mitigateModel(
            { datasets: ws.datasets, registry: ws.registry },
            {
              model,
              dataset,
              sensitive: opts.sensitive,
              constraint: opts.constraint as ParityConstraint,
              tolerance: opts.tolerance,
              ...(opts.targetPrecision === undefined ? {} : { targetPrecision: opts.targetPrecision }),
              ...(opts.positiveLabel === undefined ? {} : { positiveLabel: opts.positiveLabel }),
            },
          );
          return { r, applied: opts.apply === true ? await applyMitigation({ registry: ws.registry }, localPrincipal().userName, r) : null };
        });
        const p = r.plan;
        // Infinity (a group never decided automatically) is not JSON: it prints as null.
        const out = {
          model: r.model,
          dataset: r.dataset,
          ...p,
          thresholds: Object.fromEntries(Object.entries(p.thresholds).map(([g, t]) => [g, Number.isFinite(t) ? t : null])),
          ...(applied ? { applied: { version: applied.version.ref, created: applied.created } } : {}),
        };
        ctx.emit(out, () => {
          const v = p.validation;
          const row = (name: string, f: (x: MitigationFigures) => number | null, cost: number | null) => [name, num(f(v.before)), num(f(v.after)), num(cost)];
          const favourable = p.positiveLabel === null ? '' : `, favourable class '${p.positiveLabel}'`;
          const lines = [`${r.model} on ${r.dataset}: ${p.constraint} by '${p.attribute}' (tolerance ${p.tolerance}${favourable}) — ${p.message}`];
          lines.push(
            table(
              ['group', 'threshold', 'rate before', 'rate after', 'note'],
              Object.entries(p.thresholds).map(([g, t]) => [
                g,
                threshold(t),
                num(v.before.rates[g]),
                num(v.after.rates[g]),
                p.unadjusted.find((u) => u.group === g)?.reason ?? '',
              ]),
            ),
          );
          lines.push(
            table(
              ['figure', 'before', 'after', 'cost'],
              [
                row('gap', (x) => x.gap, null),
                ...(p.kind === 'decision'
                  ? [row('accuracy', (x) => x.accuracy, v.cost.accuracy)]
                  : [row('coverage', (x) => x.coverage, v.cost.coverage), row('precision', (x) => x.precision, v.cost.precision)]),
              ],
            ),
          );
          if (!p.feasible) lines.push('thresholds unchanged: no plan meets the constraint on this data');
          if (applied) {
            lines.push(`${applied.created ? 'registered' : 'already registered as'} ${applied.version.ref}: ${r.model}'s weights with these group thresholds; deploy it (or move an alias to it) to serve them`);
          }
          return lines.join('\n');
        });
      }),
    );
}
