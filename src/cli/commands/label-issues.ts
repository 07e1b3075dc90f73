/** `mloop data label-issues`: the labelled rows most likely mislabelled, for re-review. */
import type { Command } from 'commander';
import { MloopError } from '../../errors/index.js';
import type { Task } from '../../registry/index.js';
import { stagedProgress, table } from '../context.js';
import { collect, parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

interface LabelIssuesFlags {
  label?: string;
  text?: string;
  features?: string[];
  task?: string;
  learner?: string;
  folds: number;
  seed: number;
  limit: number;
  allowSensitive?: boolean;
}

/** Adds `label-issues` under `mloop data` (registered after `registerData`). */
export function registerLabelIssues(program: Command, run: Runner): void {
  const data = program.commands.find((c) => c.name() === 'data');
  if (!data) throw MloopError.internal("the 'data' command must be registered before 'data label-issues'");
  data
    .command('label-issues')
    .description('list the labelled rows most likely mislabelled (confident learning over out-of-fold probabilities)')
    .argument('<dataset>', 'labelled data, name@N')
    .option('--label <col>', 'label column (default: the column imported with --label)')
    .option('--text <col>', 'text column (text classification)')
    .option('--features <cols>', 'feature columns, comma-separated (default: as mloop train chooses)', collect)
    .option('--task <task>', 'text-classification or tabular-classification (default: inferred)')
    .option('--learner <id>', 'text-softmax, gbdt or linear (default: by task)')
    .option('--folds <k>', 'number of stratified folds', parseIntOption(2, 20), 5)
    .option('--seed <n>', 'seed of the folds and the learners', parseIntOption(0, 2 ** 31 - 1), 42)
    .option('--limit <n>', 'show at most this many rows', parseIntOption(1, 1_000_000), 50)
    .option('--allow-sensitive', 'allow sensitive columns as features')
    .action(
      run(async (ctx, dataset: string, opts: LabelIssuesFlags) => {
        // Loaded here: registering `mloop data` must not load the learners.
        const [{ TASKS }, { findDatasetLabelIssues }] = await Promise.all([import('../../registry/index.js'), import('../../training/index.js')]);
        if (opts.task !== undefined && !TASKS.includes(opts.task as Task)) throw MloopError.invalidArgument(`unknown task '${opts.task}'; valid tasks: ${TASKS.join(', ')}`);
        const progress = stagedProgress(ctx);
        const r = await ctx.withWorkspace((ws) =>
          findDatasetLabelIssues(
            { datasets: ws.datasets },
            {
              dataset,
              folds: opts.folds,
              seed: opts.seed,
              ...(opts.label === undefined ? {} : { label: opts.label }),
              ...(opts.text === undefined ? {} : { text: opts.text }),
              ...(opts.features === undefined ? {} : { features: opts.features }),
              ...(opts.task === undefined ? {} : { task: opts.task as Task }),
              ...(opts.learner === undefined ? {} : { learner: opts.learner }),
              ...(opts.allowSensitive ? { allowSensitive: true } : {}),
            },
            { onProgress: progress.onProgress },
          ),
        );
        progress.stop();
        const out = {
          method: r.method,
          dataset: r.dataset,
          task: r.task,
          label: r.label,
          inputs: r.inputs,
          learner: r.learner,
          folds: r.folds,
          seed: r.seed,
          id_column: r.idColumn,
          classes: r.classes,
          rows: { labelled: r.rows.labelled, dropped_missing_label: r.rows.droppedMissingLabel },
          out_of_fold_accuracy: r.outOfFoldAccuracy,
          issues_found: r.issues.length,
          issues: r.issues.slice(0, opts.limit).map((i) => ({
            row: i.row,
            id: i.id,
            given_label: i.givenLabel,
            suggested_label: i.suggestedLabel,
            self_confidence: i.selfConfidence,
            margin: i.margin,
          })),
          warnings: r.warnings,
        };
        ctx.emit(out, (o) => {
          const lines = [
            `${o.dataset}: ${o.issues_found} of ${o.rows.labelled} labelled rows look mislabelled (${o.folds}-fold ${o.learner}, out-of-fold accuracy ${(o.out_of_fold_accuracy * 100).toFixed(1)}%)`,
          ];
          if (o.issues.length > 0) {
            lines.push(
              table(
                [o.id_column ?? 'row', 'given', 'suggested', 'p(given)', 'margin'],
                o.issues.map((i) => [i.id, i.given_label, i.suggested_label, i.self_confidence.toFixed(3), i.margin.toFixed(3)]),
              ),
            );
            if (o.issues_found > o.issues.length) lines.push(`… ${o.issues_found - o.issues.length} more (--limit, or --json)`);
          }
          lines.push(...o.warnings.map((w) => `warning: ${w}`));
          return lines.join('\n');
        });
      }),
    );
}
