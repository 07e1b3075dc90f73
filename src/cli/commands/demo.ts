import type { Command } from 'commander';
import { runDemo } from '../../demo/index.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

export function registerDemo(program: Command, run: Runner): void {
  program
    .command('demo')
    .description('run the whole story on a throw-away workspace: a support team automating its most frequent requests')
    .option('--dir <dir>', 'create the demo workspace here instead of a temporary folder')
    .option('--seed <n>', 'seed of the generated data', parseIntOption(0, 2 ** 31 - 1), 42)
    .option('--rows <n>', 'how many support requests to generate', parseIntOption(100, 1_000_000), 6000)
    .action(
      run(async (ctx, opts: { dir?: string; seed: number; rows: number }) => {
        ctx.note('mloop demo: a support team automating its most frequent requests.\n');
        const result = await runDemo({
          ...(opts.dir === undefined ? {} : { dir: opts.dir }),
          seed: opts.seed,
          count: opts.rows,
          env: ctx.io.env,
          onStep: (e) => {
            if (e.phase === 'start') ctx.note(`… ${e.name}`);
            else if (e.step) ctx.note(`${e.step.ok ? '✔' : '✘'} ${e.name}: ${e.step.summary}`);
          },
        });
        ctx.emit(result, (r) =>
          [
            `\nDemo workspace: ${r.workspace}`,
            `Inspect it with: mloop --workspace ${r.workspace} status`,
            `Why each retraining step happened: mloop --workspace ${r.workspace} retraining decisions; … runs list; … runs show <run>; … approvals list`,
          ].join('\n'),
        );
      }),
    );
}
