import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { localPrincipal } from '../../auth/index.js';
import { MloopError } from '../../errors/index.js';
import { REJECTION_RULES, type ClassificationReport, type RejectionRule } from '../../evaluation/index.js';
import { TASKS, type Task } from '../../registry/index.js';
import { checkGrid, evaluateModel, parseGateFile, trainModel } from '../../training/index.js';
import { stagedProgress, table } from '../context.js';
import { collect, parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

function parseProbability(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number in (0, 1], got '${value}'`);
    return n;
  };
}

/** Reads a JSON or YAML file as data; INVALID_ARGUMENT naming the file on any problem. */
function readDataFile(cwd: string, path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (err) {
    throw MloopError.invalidArgument(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw MloopError.invalidArgument(`${what} ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * How the headline metrics treat rows whose true label the model does not know: log_loss has no
 * probability for them and leaves them out, binary AUCs take them as negatives, the rest count them wrong.
 */
function outOfScopeTreatment(metrics: readonly string[]): string {
  const excluded: string[] = metrics.filter((m) => m === 'log_loss');
  const negatives: string[] = metrics.filter((m) => m === 'roc_auc' || m === 'pr_auc');
  const wrong = metrics.filter((m) => !excluded.includes(m) && !negatives.includes(m));
  const list = (ms: string[]) => (ms.length === 1 ? ms[0]! : `${ms.slice(0, -1).join(', ')} and ${ms.at(-1)!}`);
  const parts = [
    wrong.length > 0 ? `${list(wrong)} above count${wrong.length === 1 ? 's' : ''} them as wrong` : '',
    negatives.length > 0 ? `${list(negatives)} take${negatives.length === 1 ? 's' : ''} them as negatives` : '',
    excluded.length > 0 ? `${list(excluded)} leaves them out` : '',
  ].filter((p) => p !== '');
  return parts.length === 0 ? '' : `; ${parts.join(', ')}`;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(1)}%`);

export function registerTrain(program: Command, run: Runner): void {
  program
    .command('train')
    .description('train a model on a dataset version and register it, with validation metrics and calibrated confidence')
    .argument('<dataset>', 'training data, name@N')
    .requiredOption('--name <model>', 'model to register the version under')
    .option('--label <col>', 'label column (default: the column imported with --label)')
    .option('--text <col>', 'text column (text classification)')
    .option('--features <cols>', 'feature columns, comma-separated (default: all but label, ids, times and sensitive columns)', collect)
    .option('--task <task>', `one of ${TASKS.join(', ')} (default: inferred)`)
    .option('--learner <id>', 'text-softmax, gbdt or linear (default: by task)')
    .option('--config <file>', 'learner parameters as JSON or YAML')
    .option('--seed <n>', 'random seed', parseIntOption(0, 2 ** 31 - 1), 42)
    .option('--validation <dataset>', 'validation data, name@N (default: a seeded 20% holdout)')
    .option('--target-precision <p>', 'choose and store the confidence threshold for automation at this precision', parseProbability('--target-precision'))
    .option('--oos-label <label>', 'out-of-scope label: its rows are left out of training, and a rejection threshold is chosen on validation rows with it and stored (serving sends rows below it to review)')
    .option('--oos-rule <rule>', `how the rejection threshold is chosen: ${REJECTION_RULES.join(', ')} (default: balanced, or min-in-scope-accuracy with --oos-min-in-scope); without --oos-label, validation labels unseen in training are out of scope`)
    .option('--oos-min-in-scope <a>', 'keep in-scope accuracy with rejection at least this on validation data, and reject as much out-of-scope as that allows', parseProbability('--oos-min-in-scope'))
    .option('--allow-sensitive', 'allow sensitive columns as features')
    .option('--search', 'choose learner parameters by k-fold cross-validation on the training rows over a small grid')
    .option('--grid <file>', 'the grid for --search (JSON or YAML): parameter → list of values, e.g. {"learningRate": [0.05, 0.1]}')
    .option('--folds <k>', 'folds for --search', parseIntOption(2, 20), 3)
    .action(
      run(async (ctx, dataset: string, opts: { name: string; label?: string; text?: string; features?: string[]; task?: string; learner?: string; config?: string; seed: number; validation?: string; targetPrecision?: number; allowSensitive?: boolean; search?: boolean; grid?: string; folds: number; oosLabel?: string; oosRule?: string; oosMinInScope?: number }) => {
        if (opts.oosRule !== undefined && !REJECTION_RULES.includes(opts.oosRule as RejectionRule)) throw MloopError.invalidArgument(`unknown --oos-rule '${opts.oosRule}'; known rules: ${REJECTION_RULES.join(', ')}`);
        const outOfScope =
          opts.oosLabel === undefined && opts.oosRule === undefined && opts.oosMinInScope === undefined
            ? undefined
            : {
                ...(opts.oosLabel === undefined ? {} : { label: opts.oosLabel }),
                ...(opts.oosRule === undefined ? {} : { rule: opts.oosRule as RejectionRule }),
                ...(opts.oosMinInScope === undefined ? {} : { minInScopeAccuracy: opts.oosMinInScope }),
              };
        if (opts.grid !== undefined && !opts.search) throw MloopError.invalidArgument('--grid needs --search');
        const grid = opts.grid === undefined ? undefined : checkGrid(readDataFile(ctx.io.cwd, opts.grid, 'grid file'), `grid file ${opts.grid}`);
        if (opts.task !== undefined && !TASKS.includes(opts.task as Task)) throw MloopError.invalidArgument(`unknown task '${opts.task}'; valid tasks: ${TASKS.join(', ')}`);
        const params = opts.config === undefined ? undefined : readDataFile(ctx.io.cwd, opts.config, 'config file');
        if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) throw MloopError.invalidArgument(`config file ${opts.config} must hold an object of learner parameters`);
        const progress = stagedProgress(ctx);
        // Ctrl-C stops training at its next check: error[CANCELLED], exit 130, nothing registered.
        const cancel = new AbortController();
        const onSigint = (): void => cancel.abort(new Error('interrupted (SIGINT)'));
        process.once('SIGINT', onSigint);
        const r = await ctx.withWorkspace((ws) =>
          trainModel(
            { datasets: ws.datasets, registry: ws.registry },
            {
              dataset,
              name: opts.name,
              actor: localPrincipal().userName,
              seed: opts.seed,
              ...(opts.label === undefined ? {} : { label: opts.label }),
              ...(opts.text === undefined ? {} : { text: opts.text }),
              ...(opts.features === undefined ? {} : { features: opts.features }),
              ...(opts.task === undefined ? {} : { task: opts.task as Task }),
              ...(opts.learner === undefined ? {} : { learner: opts.learner }),
              ...(params === undefined ? {} : { params: params as Record<string, unknown> }),
              ...(opts.validation === undefined ? {} : { validation: opts.validation }),
              ...(opts.targetPrecision === undefined ? {} : { targetPrecision: opts.targetPrecision }),
              ...(opts.allowSensitive ? { allowSensitive: true } : {}),
              ...(outOfScope === undefined ? {} : { outOfScope }),
              ...(opts.search ? { search: { folds: opts.folds, ...(grid === undefined ? {} : { grid }) } } : {}),
            },
            { onProgress: progress.onProgress, signal: cancel.signal },
          ),
        ).finally(() => process.off('SIGINT', onSigint));
        progress.stop();
        const out = {
          model: r.version.model,
          version: r.version.version,
          ref: r.version.ref,
          task: r.task,
          learner: r.learner,
          metrics: r.metrics,
          train_seconds: r.trainSeconds,
          rows: r.rows,
          threshold: r.threshold && {
            target_precision: r.threshold.targetPrecision,
            achievable: r.threshold.achievable,
            confidence: r.threshold.achievable ? r.threshold.threshold : null,
            validation_coverage: r.threshold.validation.coverage,
            validation_precision: r.threshold.achievable ? r.threshold.validation.precision : null,
            best_achievable: r.threshold.bestAchievable ?? null,
            message: r.threshold.message,
          },
          out_of_scope: r.outOfScope && {
            label: r.outOfScope.label,
            score: r.outOfScope.score,
            rule: r.outOfScope.rule,
            min_in_scope_accuracy: r.outOfScope.minInScopeAccuracy ?? null,
            achievable: r.outOfScope.achievable,
            threshold: Number.isFinite(r.outOfScope.threshold) ? r.outOfScope.threshold : null,
            validation_in_scope_accuracy: r.outOfScope.validation.inScopeAccuracy,
            validation_oos_recall: r.outOfScope.validation.outOfScopeRecall,
            message: r.outOfScope.message,
          },
          warnings: r.warnings,
          search: r.search && {
            metric: r.search.metric,
            folds: r.search.folds,
            best: r.search.best,
            params: r.search.params,
            seconds: r.search.seconds,
            candidates: r.search.candidates.map((c) => ({ params: c.point, mean: c.mean, std: c.std })),
          },
        };
        ctx.emit(out, (o) =>
          [
            `Registered ${o.ref} (${o.task}, ${o.learner}) in ${o.train_seconds.toFixed(1)} s on ${o.rows.train} rows; validated on ${o.rows.validation}.`,
            `validation: ${Object.entries(o.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`,
            ...(o.search
              ? [
                  `search (${o.search.folds}-fold ${o.search.metric}, ${o.search.seconds.toFixed(1)} s):`,
                  ...o.search.candidates.map((c) => `  ${JSON.stringify(c.params) === JSON.stringify(o.search!.best) ? '*' : ' '} ${Object.entries(c.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}  ${c.mean.toFixed(4)} ± ${c.std.toFixed(4)}`),
                ]
              : []),
            ...(o.threshold ? [`automation: ${o.threshold.message}`] : []),
            ...(o.out_of_scope ? [`out of scope (${o.out_of_scope.score}): ${o.out_of_scope.message}`] : []),
            ...o.warnings.map((w) => `warning: ${w}`),
          ].join('\n'),
        );
      }),
    );

  program
    .command('eval')
    .description('evaluate a model version on a dataset version: metrics with 95% intervals, slices, automation, gates')
    .argument('<model>', 'model reference: name, name@N or name@alias')
    .argument('<dataset>', 'evaluation data, name@N')
    .option('--label <col>', "label column (default: the model's)")
    .option('--slice <cols>', 'report metrics per value of these columns', collect)
    .option('--target-precision <p>', "report automation at this precision (threshold chosen on the model's validation data)", parseProbability('--target-precision'))
    .option('--sensitive <cols>', "audit these columns for bias (default: the dataset's sensitive columns); a&b audits their intersection; a gate's fairness rules add the attributes they name", collect)
    .option('--gate <file>', 'gate file (JSON or YAML): exit 1 when a rule fails')
    .option('--seed <n>', 'seed of the bootstrap intervals', parseIntOption(0, 2 ** 31 - 1), 0)
    .option('--save', "save this evaluation as evidence on the model version (shown in its card)")
    .action(
      run(async (ctx, model: string, dataset: string, opts: { label?: string; slice?: string[]; sensitive?: string[]; targetPrecision?: number; gate?: string; seed: number; save?: boolean }) => {
        const gate = opts.gate === undefined ? undefined : parseGateFile(readDataFile(ctx.io.cwd, opts.gate, 'gate file'), opts.gate);
        const r = await ctx.withWorkspace(async (ws) => {
          const result = await evaluateModel(
            { datasets: ws.datasets, registry: ws.registry },
            {
              model,
              dataset,
              seed: opts.seed,
              ...(opts.label === undefined ? {} : { label: opts.label }),
              ...(opts.slice === undefined ? {} : { slices: opts.slice }),
              ...(opts.sensitive === undefined ? {} : { sensitive: opts.sensitive }),
              ...(opts.targetPrecision === undefined ? {} : { targetPrecision: opts.targetPrecision }),
              ...(gate === undefined ? {} : { gate }),
            },
          );
          if (opts.save) {
            const summary = Object.fromEntries(Object.entries(result.report.metrics).map(([k, e]) => [k, e.value]));
            await ws.registry.recordEvaluation(localPrincipal().userName, result.model, result.dataset, result, summary, result.gate ? result.gate.passed : null);
          }
          return result;
        });
        if (r.gate && !r.gate.passed) ctx.exitCode = 1;
        const rep = r.report;
        const out = {
          model: r.model,
          dataset: r.dataset,
          n: rep.n,
          metrics: Object.fromEntries(Object.entries(rep.metrics).map(([k, e]) => [k, e.value])),
          intervals: rep.metrics,
          ...(rep.task === 'classification'
            ? {
                per_class: rep.perClass,
                confusion: rep.confusion,
                reliability: rep.reliability,
                automation: rep.automation ?? null,
                out_of_scope: rep.outOfScope ?? null,
                coverage_precision_curve: rep.curve,
              }
            : {}),
          slices: rep.slices,
          threshold: r.threshold,
          fairness: r.fairness,
          gate: r.gate,
          champion: r.champion,
        };
        ctx.emit(out, (o) => {
          const lines = [`${o.model} on ${o.dataset}: ${o.n} rows`];
          lines.push(
            table(
              ['metric', 'value', '95% interval'],
              Object.entries(o.intervals).map(([k, e]) => [k, e.value.toFixed(4), e.lower === null ? '-' : `${e.lower.toFixed(4)} – ${e.upper!.toFixed(4)}`]),
            ),
          );
          const c = rep as ClassificationReport;
          if (c.automation) {
            lines.push(
              `automation at confidence ≥ ${c.automation.threshold.toFixed(4)}: ${pct(c.automation.coverage.value)} decided automatically at ${pct(c.automation.precision.value)} precision; ${pct(c.automation.reviewShare.value)} to people`,
            );
          } else if (o.threshold?.choice && !o.threshold.choice.achievable) lines.push(`automation: ${o.threshold.choice.message}`);
          if (c.outOfScope) {
            const o = c.outOfScope;
            lines.push(
              `out of scope (${o.score ?? 'confidence'} ≥ ${o.threshold.toFixed(4)} accepted; ${o.inScope} in-scope and ${o.outOfScope} out-of-scope rows${outOfScopeTreatment(Object.keys(c.metrics))}): in-scope accuracy ${pct(o.inScopeAccuracyWithoutRejection.value)} without rejection, ${pct(o.inScopeAccuracy.value)} with rejection; out-of-scope recall ${pct(o.outOfScopeRecall.value)}`,
            );
          }
          if (o.slices.length > 0) {
            // One column per slice: accuracy for classifiers, MAE (in the label's units) for regressors.
            const sliceMetric = rep.task === 'regression' ? 'mae' : 'accuracy';
            lines.push(
              table(
                ['slice', 'value', 'n', sliceMetric, 'note'],
                o.slices.map((s) => [s.column, s.value, s.n, s.metrics[sliceMetric]?.value.toFixed(4), s.trusted ? '' : 'too small to trust']),
              ),
            );
          }
          if (o.fairness) {
            for (const [attr, a] of Object.entries(o.fairness.attributes)) {
              const d = a.differences;
              const f = (x: { value: number | null } | undefined) => (x?.value === null || x?.value === undefined ? '-' : x.value.toFixed(4));
              lines.push(
                `fairness by ${attr}: demographic parity difference ${f(d['demographic_parity_difference'])}, equalized odds difference ${f(d['equalized_odds_difference'])}, accuracy difference ${f(d['accuracy_difference'])}${a.excluded.length ? ` (${a.excluded.length} groups too small to judge)` : ''}`,
              );
            }
          }
          if (o.gate) {
            lines.push(`gate '${o.gate.gate}': ${o.gate.passed ? 'PASSED' : 'FAILED'}`);
            for (const rule of o.gate.rules) lines.push(`  ${rule.status.toUpperCase().padEnd(4)} ${rule.expected} — ${rule.message}`);
          }
          return lines.join('\n');
        });
      }),
    );
}
