import type { Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { scheduleJson } from '../../jobs/index.js';
import { table } from '../context.js';
import type { Runner } from '../program.js';
import { parseJsonObject } from './jobs.js';

export function registerSchedules(program: Command, run: Runner): void {
  const schedules = program.command('schedules').description('cron schedules: each slot enqueues exactly one job, however many workers and servers run');
  schedules
    .command('list')
    .description('list schedules with their last and next slot')
    .action(
      run(async (ctx) => {
        const list = await ctx.withWorkspace((ws) => ws.jobs.listSchedules());
        ctx.emit({ schedules: list.map(scheduleJson) }, () =>
          list.length === 0 ? 'no schedules' : table(['name', 'cron', 'tz', 'job type', 'last slot', 'next slot'], list.map((s) => [s.name, s.cron, s.timezone, s.jobType, s.lastSlot, s.problem === undefined ? s.nextSlot : `cannot fire: ${s.problem}`])),
        );
      }),
    );
  schedules
    .command('add')
    .description("add a schedule, such as --cron '0 3 1 * *' (03:00 on the 1st of each month)")
    .argument('<name>', 'schedule name (lower-case letters, digits, . _ -)')
    .requiredOption('--cron <expr>', 'cron expression: minute hour day-of-month month day-of-week')
    .requiredOption('--type <type>', 'job type to enqueue')
    .option('--payload <json>', 'payload of each job, a JSON object', parseJsonObject('--payload'), {})
    .option('--timezone <tz>', 'IANA time zone of the expression', 'UTC')
    .action(
      run(async (ctx, name: string, opts: { cron: string; type: string; payload: Record<string, unknown>; timezone: string }) => {
        const r = await ctx.withWorkspace((ws) =>
          ws.jobs.addSchedule(localPrincipal().userName, { name, cron: opts.cron, timezone: opts.timezone, jobType: opts.type, payload: opts.payload }),
        );
        ctx.emit({ created: r.created, schedule: scheduleJson(r.schedule) }, () => `${r.created ? 'added' : 'exists already'}: ${name} (${opts.cron} ${opts.timezone}), next slot ${r.schedule.nextSlot ?? 'none'}`);
      }),
    );
  schedules
    .command('remove')
    .description('remove a schedule (the jobs it enqueued stay)')
    .argument('<name>', 'schedule name')
    .action(
      run(async (ctx, name: string) => {
        await ctx.withWorkspace((ws) => ws.jobs.removeSchedule(name));
        ctx.emit({ removed: name }, () => `removed schedule ${name}`);
      }),
    );
}
