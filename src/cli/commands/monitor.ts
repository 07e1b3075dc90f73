import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import type { BiasGap } from '../../fairness/index.js';
import { alertJson, compareDatasets, parseInstant, renderMonitoringHtml, ruleJson, type MonitoringReport } from '../../monitoring/index.js';
import { table } from '../context.js';
import { collect, parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

function rate(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number in (0, 1), got '${value}'`);
  return n;
}

/** Option parser of ISO 8601 times: the UTC instant the prediction log compares against. */
function instant(value: string): string {
  try {
    return parseInstant(value, 'time');
  } catch {
    throw new InvalidArgumentError('expected an ISO 8601 date or time such as 2026-11-27, 2026-11-27T08:00:00Z or 2026-11-27T08:00:00+02:00 (without an offset, UTC)');
  }
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);

function showReport(r: MonitoringReport): string {
  const lines = [
    `${r.model}${r.version === null ? '' : `@${r.version}`}: ${r.windows.length} window(s) of ${r.window} against ${r.reference.kind} ${r.reference.ref} (${r.reference.rows} rows)`,
    table(
      ['window', 'predictions', 'drifted', 'review', 'realized (labels)', 'estimated [95%]'],
      r.windows.map((w) => [
        w.start.slice(0, 16),
        w.predictions,
        w.dataset_drift ? `${w.dataset_drift.drifted}/${w.dataset_drift.total}` : '-',
        pct(w.prediction.review_share),
        `${pct(w.performance.realized_accuracy?.value)} (${w.performance.labels})`,
        w.performance.estimated_accuracy ? `${pct(w.performance.estimated_accuracy.value)} [${pct(w.performance.estimated_accuracy.lower)}, ${pct(w.performance.estimated_accuracy.upper)}]` : '-',
      ]),
    ),
  ];
  if (r.features.length > 0) {
    lines.push(
      'latest window:',
      table(
        ['feature', 'test', 'statistic', 'p-value', 'effect', 'drift'],
        r.features.map((f) => [f.name, f.test, f.statistic.toPrecision(4), f.p_value === null ? '-' : f.p_value.toPrecision(3), f.effect_size.toPrecision(3), f.drift ? 'DRIFT' : '']),
      ),
    );
  }
  const attributes = [...new Set(r.windows.flatMap((w) => w.fairness?.attributes.map((a) => a.attribute) ?? []))];
  // group names come from requests: no terminal control characters
  const clean = (t: string) => Array.from(t, (ch) => (ch.charCodeAt(0) < 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f) ? '?' : ch)).join('');
  const gap = (g: BiasGap | undefined) => (!g || g.value === null ? '-' : `${pct(g.value)} [${pct(g.lower)}, ${pct(g.upper)}]${g.min ? ` ${clean(g.min.group)}` : ''}`);
  for (const attr of attributes) {
    lines.push(
      `groups by ${clean(attr)} (gap [simultaneous 95% bounds] lowest group; groups under the minimum size are not compared):`,
      table(
        ['window', 'review-share gap', 'selection gap', 'accuracy gap (labelled)'],
        r.windows.map((w) => {
          const a = w.fairness?.attributes.find((x) => x.attribute === attr);
          return [w.start.slice(0, 16), gap(a?.gaps.auto_share_difference), gap(a?.gaps.demographic_parity_difference), gap(a?.gaps.accuracy_difference)];
        }),
      ),
    );
  }
  return lines.join('\n');
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
            ...x.schema_changes.map((c) => `schema change: '${c.name}' is ${c.reference_type} in ${x.reference} but ${c.current_type} in ${x.current} (not tested for drift)`),
            `alarms: false-alarm rate ${x.method.false_alarm_rate} per feature, calibrated by ${x.method.bootstrap} bootstrap windows of the reference; Benjamini–Hochberg at ${x.method.fdr}`,
          ].join('\n'),
        );
      }),
    );

  monitor
    .command('report')
    .description('drift, prediction drift, realized and estimated performance of a served model over windows of its prediction log')
    .argument('<model-ref>', 'name (every version), name@N or name@alias (that version)')
    .option('--window <w>', 'window: 12h, 1d, 7d, 2w, or a number of predictions', '7d')
    .option('--reference <ref>', 'reference dataset version (default: the version\'s training data)')
    .option('--reference-from <iso>', 'reference = predictions from this ISO 8601 time (2026-11-27T08:00+02:00; no offset: UTC)…', instant)
    .option('--reference-to <iso>', '…to this time', instant)
    .option('--since <iso>', 'only predictions from this ISO 8601 time', instant)
    .option('--until <iso>', 'only predictions before this ISO 8601 time', instant)
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--min-group-size <n>', 'groups with fewer predictions in a window (labelled ones for accuracy) are not compared', parseIntOption(1, 1_000_000))
    .action(
      run(async (ctx, model: string, o: { window: string; reference?: string; referenceFrom?: string; referenceTo?: string; since?: string; until?: string; html?: string; minGroupSize?: number }) => {
        if ((o.referenceFrom === undefined) !== (o.referenceTo === undefined)) throw new InvalidArgumentError('--reference-from and --reference-to go together');
        const reference = o.referenceFrom !== undefined && o.referenceTo !== undefined ? { from: o.referenceFrom, to: o.referenceTo } : o.reference;
        const r = await ctx.withWorkspace((ws) =>
          ws.monitoring.report({
            model,
            window: o.window,
            ...(reference ? { reference } : {}),
            ...(o.since ? { from: o.since } : {}),
            ...(o.until ? { to: o.until } : {}),
            ...(o.minGroupSize === undefined ? {} : { fairness: { minGroupSize: o.minGroupSize } }),
          }),
        );
        if (o.html !== undefined) {
          writeFileSync(o.html, renderMonitoringHtml(r));
          ctx.note(`wrote ${o.html}`);
        }
        ctx.emit(r, showReport);
      }),
    );
  monitor
    .command('run')
    .description('evaluate every deployed model and every alert rule once; record and deliver alerts')
    .option('--window <w>', 'window of the summary per model', '7d')
    .action(
      run(async (ctx, o: { window: string }) => {
        const results = await ctx.withWorkspace((ws) => ws.monitoring.run({ window: o.window }));
        if (results.some((m) => m.error !== null)) ctx.exitCode = 1;
        ctx.emit(
          { models: results.map((m) => ({ ...m, rules: m.rules.map((x) => ({ ...x, alert: x.alert ? alertJson(x.alert) : null })) })) },
          (x) =>
            x.models.length === 0
              ? 'nothing to monitor: no deployments and no alert rules'
              : table(
                  ['model', 'windows', 'drifted', 'realized', 'estimated', 'review', 'alerts', 'error'],
                  x.models.map((m) => [
                    m.model,
                    m.windows,
                    m.dataset_drift ? `${m.dataset_drift.drifted}/${m.dataset_drift.total}` : '-',
                    pct(m.realized_accuracy),
                    pct(m.estimated_accuracy),
                    pct(m.review_share),
                    m.rules.map((r) => `${r.rule}:${r.state}${r.delivery === 'failed' ? '(delivery failed)' : ''}`).join(' ') || '-',
                    m.error ? `${m.error.code}: ${m.error.message}` : '',
                  ]),
                ),
        );
      }),
    );
  const rules = monitor.command('rules').description('alert rules on monitored values');
  rules
    .command('add')
    .description('raise an alert when <metric> <op> <threshold> holds in N consecutive windows')
    .argument('<name>', 'rule name')
    .requiredOption('--model <ref>', 'model monitored: name, name@N or name@alias')
    .requiredOption('--metric <metric>', 'monitored value, e.g. performance.estimated_accuracy, drift.share, prediction.review_share, drift.<feature>, fairness.<attribute>.accuracy_difference.lower')
    .requiredOption('--op <op>', 'one of > >= < <=')
    .requiredOption('--threshold <x>', 'threshold', (v) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
      return n;
    })
    .option('--consecutive <n>', 'windows in a row', parseIntOption(1, 1000), 1)
    .option('--window <w>', 'window: 12h, 1d, 7d, 2w or a number of predictions', '7d')
    .option('--webhook <url>', 'post alerts here (Slack-compatible JSON)')
    .action(
      run(async (ctx, name: string, o: { model: string; metric: string; op: string; threshold: number; consecutive: number; window: string; webhook?: string }) => {
        const rule = await ctx.withWorkspace((ws) =>
          ws.monitoring.addRule(localPrincipal().userName, { name, model: o.model, metric: o.metric, op: o.op, threshold: o.threshold, consecutive: o.consecutive, window: o.window, webhook: o.webhook ?? null }),
        );
        ctx.emit(ruleJson(rule), (r) => `added rule '${r.name}': ${r.metric} ${r.op} ${r.threshold} in ${r.consecutive} consecutive ${r.window} window(s) of ${r.model}`);
      }),
    );
  rules
    .command('list')
    .description('list alert rules')
    .option('--model <name>', 'only rules of this model')
    .action(
      run(async (ctx, o: { model?: string }) => {
        const list = await ctx.withWorkspace((ws) => ws.monitoring.listRules(o.model ? { model: o.model } : {}));
        ctx.emit({ rules: list.map(ruleJson) }, (x) => table(['name', 'model', 'condition', 'window', 'webhook'], x.rules.map((r) => [r.name, r.model, `${r.metric} ${r.op} ${r.threshold} ×${r.consecutive}`, r.window, r.webhook ?? '-'])));
      }),
    );
  rules
    .command('remove')
    .description('remove an alert rule (its alerts stay in the history)')
    .argument('<name>', 'rule name or id')
    .action(
      run(async (ctx, name: string) => {
        const rule = await ctx.withWorkspace((ws) => ws.monitoring.removeRule(localPrincipal().userName, name));
        ctx.emit(ruleJson(rule), (r) => `removed rule '${r.name}'`);
      }),
    );
  monitor
    .command('alerts')
    .description('the alert history, newest first')
    .option('--model <name>', 'only alerts of this model')
    .option('--status <s>', 'firing or resolved')
    .option('--limit <n>', 'most alerts shown', parseIntOption(1, 10000), 100)
    .action(
      run(async (ctx, o: { model?: string; status?: string; limit: number }) => {
        if (o.status !== undefined && o.status !== 'firing' && o.status !== 'resolved') throw new InvalidArgumentError(`--status must be firing or resolved, got '${o.status}'`);
        const list = await ctx.withWorkspace((ws) => ws.monitoring.listAlerts({ limit: o.limit, ...(o.model ? { model: o.model } : {}), ...(o.status ? { status: o.status as 'firing' | 'resolved' } : {}) }));
        ctx.emit({ alerts: list.map(alertJson) }, (x) =>
          x.alerts.length === 0 ? 'no alerts' : table(['created', 'rule', 'model', 'status', 'windows', 'message', 'delivery'], x.alerts.map((a) => [a.created_at.slice(0, 16), a.rule, a.model, a.status, a.windows, a.message, a.delivery])),
        );
      }),
    );
}
