/** `mloop review` (the human-review queue) and `mloop feedback` (ground truth for logged predictions). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { localPrincipal } from '../../auth/index.js';
import { MloopError } from '../../errors/index.js';
import { reviewJson } from '../../serving/index.js';
import { table } from '../context.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

const short = (s: unknown, n = 60) => {
  const t = typeof s === 'string' ? s : JSON.stringify(s ?? '');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

export function registerReview(program: Command, run: Runner): void {
  const review = program.command('review').description('predictions routed to people because the model was not confident enough');
  review
    .command('list')
    .description('review items, oldest first (pending by default)')
    .option('--status <status>', 'pending, answered or all', 'pending')
    .option('--deployment <name>', 'only this deployment')
    .option('--limit <n>', 'at most this many', parseIntOption(1, 10000), 50)
    .action(
      run(async (ctx, opts: { status: string; deployment?: string; limit: number }) => {
        const status = opts.status as 'pending' | 'answered' | 'all';
        if (!['pending', 'answered', 'all'].includes(status)) throw MloopError.invalidArgument(`--status must be pending, answered or all, got '${opts.status}'`);
        const items = await ctx.withWorkspace((ws) => ws.serving.listReview({ status, limit: opts.limit, ...(opts.deployment ? { deployment: opts.deployment } : {}) }));
        ctx.emit({ items: items.map(reviewJson) }, (r) =>
          r.items.length === 0
            ? `no ${status === 'all' ? '' : `${status} `}review items`
            : table(
                ['prediction_id', 'deployment', 'version', 'predicted', 'confidence', 'status', 'answer', 'input'],
                r.items.map((i) => [i.prediction_id, i.deployment, i.version, i.predicted, i.confidence === null ? null : i.confidence.toFixed(3), i.status, i.answer, short(i.inputs ? Object.values(i.inputs)[0] : '')]),
              ),
        );
      }),
    );
  review
    .command('answer')
    .description("answer a review item: the label becomes the prediction's ground truth")
    .argument('<prediction_id>', 'from `mloop review list`')
    .argument('<label>', 'the right label')
    .action(
      run(async (ctx, id: string, label: string) => {
        const item = await ctx.withWorkspace((ws) => ws.serving.answerReview(localPrincipal().userName, id, label));
        for (const w of item.warnings) ctx.note(`warning: ${w}`);
        ctx.emit({ ...reviewJson(item), warnings: item.warnings }, (r) => `${r.prediction_id}: answered '${r.answer}' (model said '${r.predicted}' at ${r.confidence?.toFixed(3) ?? '-'})`);
      }),
    );

  const feedback = program.command('feedback').description('ground truth that arrived later, joined to logged predictions');
  feedback
    .command('add')
    .description('record the true label of one logged prediction')
    .argument('<prediction_id>', 'id returned with the prediction')
    .argument('<label>', 'the true label')
    .action(
      run(async (ctx, id: string, label: string) => {
        const t = await ctx.withWorkspace((ws) => ws.serving.feedback(localPrincipal().userName, id, label));
        for (const w of t.warnings) ctx.note(`warning: ${w}`);
        ctx.emit({ prediction_id: t.predictionId, label: t.label, source: t.source, at: t.at, warnings: t.warnings }, (r) => `${r.prediction_id}: ground truth '${r.label}'`);
      }),
    );
  feedback
    .command('import')
    .description('import ground truth from a CSV file with columns prediction_id,label (unknown ids are reported, not fatal)')
    .argument('<file>', 'CSV file')
    .action(
      run(async (ctx, file: string) => {
        const r = await ctx.withWorkspace((ws) => ws.serving.importFeedbackCsv(localPrincipal().userName, resolve(ctx.io.cwd, file)));
        if (r.issues.length > 0) ctx.exitCode = 1;
        ctx.emit(
          { file: r.file, rows: r.rows, recorded: r.recorded, unknown_predictions: r.unknownPredictions, unknown_labels: r.unknownLabels, issues: r.issues },
          (x) =>
            [
              `${x.recorded} of ${x.rows} rows recorded as ground truth (${x.unknown_predictions} unknown prediction ids)`,
              ...(x.unknown_labels > 0 ? [`warning: ${x.unknown_labels} recorded rows have a label that is not a class of their model version (a typo, or a new class)`] : []),
              ...x.issues.slice(0, 20).map((i) => `  line ${i.line}: ${i.message}`),
            ].join('\n'),
        );
      }),
    );
}
