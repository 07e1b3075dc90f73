/** `mloop predict`: batch scoring of a file. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { collect, parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

export function registerPredict(program: Command, run: Runner): void {
  program
    .command('predict')
    .description('score a file (CSV, TSV, JSON Lines or Parquet, by extension) with a model, streaming with bounded memory')
    .argument('<model>', 'model reference: name, name@N or name@alias')
    .requiredOption('--input <file>', 'rows to score; needs the model input columns')
    .requiredOption('--output <file>', 'the input columns plus prediction, confidence, decision, model_version')
    .option('--force', 'replace the output file if it exists')
    .option('--chunk-rows <n>', 'rows per model call', parseIntOption(1, 1_000_000), 4096)
    .option('--na <values>', 'strings that mean missing, such as "?" (comma-separated, repeatable), as given to data import', collect)
    .action(
      run(async (ctx, ref: string, opts: { input: string; output: string; force?: boolean; chunkRows: number; na?: string[] }) => {
        let bar: ReturnType<typeof ctx.progress> | undefined;
        const r = await ctx.withWorkspace((ws) =>
          ws.serving.predictFile(ref, resolve(ctx.io.cwd, opts.input), resolve(ctx.io.cwd, opts.output), {
            chunkRows: opts.chunkRows,
            ...(opts.force ? { force: true } : {}),
            ...(opts.na ? { na: opts.na } : {}),
            onProgress: (done, total) => {
              bar ??= ctx.progress(Math.max(1, total), 'scoring');
              bar.update(done);
            },
          }),
        );
        bar?.stop();
        ctx.emit(
          { model: r.model, version: r.version, input: r.input, output: r.output, format: r.format, rows: r.rows, automated: r.automated, review: r.review, seconds: r.seconds, rows_per_second: r.rowsPerSecond },
          (x) => `scored ${x.rows} rows with ${x.model}@${x.version} into ${x.output} in ${x.seconds.toFixed(2)} s (${Math.round(x.rows_per_second)} rows/s): ${x.automated} automated, ${x.review} for review`,
        );
      }),
    );
}
