import { InvalidArgumentError, type Command } from 'commander';
import { compareDatasets } from '../../monitoring/index.js';
import { table } from '../context.js';
import { collect, parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

function rate(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number in (0, 1), got '${value}'`);
  return n;
}

export function registerMonitor(program: Command, run: Runner): void {
  const monitor = program.command('monitor').description('drift, performance and alerts');
  monitor
    .command('drift')
    .description('compare two dataset versions feature by feature, with alarms calibrated on the reference')
    .requiredOption('--reference <ref>', 'reference data, name@N')
    .requiredOption('--current <ref>', 'current data, name@N')
    .option('--columns <cols>', 'columns to compare (default: all shared, except ids and times)', collect)
    .option('--false-alarm-rate <r>', 'target false-alarm rate per feature (default 0.01)', rate)
    .option('--fdr <q>', 'Benjamini–Hochberg false discovery rate across features (default 0.05)', rate)
    .option('--seed <n>', 'seed of the calibration bootstrap', parseIntOption(0, 2 ** 31 - 1), 42)
    .action(
      run(async (ctx, opts: { reference: string; current: string; columns?: string[]; falseAlarmRate?: number; fdr?: number; seed: number }) => {
        const r = await ctx.withWorkspace((ws) =>
          compareDatasets(ws.datasets, {
            reference: opts.reference,
            current: opts.current,
            ...(opts.columns === undefined ? {} : { columns: opts.columns }),
            policy: {
              seed: opts.seed,
              ...(opts.falseAlarmRate === undefined ? {} : { falseAlarmRate: opts.falseAlarmRate }),
              ...(opts.fdr === undefined ? {} : { fdr: opts.fdr }),
            },
          }),
        );
        ctx.emit(r, (x) =>
          [
            `${x.current} (${x.current_rows} rows) against ${x.reference} (${x.reference_rows} rows): ${x.dataset_drift.drifted} of ${x.dataset_drift.total} features drifted${x.dataset_drift.detected ? ' — dataset drift' : ''}`,
            table(
              ['feature', 'test', 'statistic', 'p-value', 'effect', 'drift'],
              x.features.map((f) => [f.name, f.test, f.statistic.toPrecision(4), f.p_value === null ? '-' : f.p_value.toPrecision(3), f.effect_size.toPrecision(3), f.drift ? 'DRIFT' : '']),
            ),
            `alarms: false-alarm rate ${x.method.false_alarm_rate} per feature, calibrated by ${x.method.bootstrap} bootstrap windows of the reference; Benjamini–Hochberg at ${x.method.fdr}`,
          ].join('\n'),
        );
      }),
    );
}
