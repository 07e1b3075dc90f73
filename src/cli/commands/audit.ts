import type { Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { table } from '../context.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

export function registerAudit(program: Command, run: Runner): void {
  program
    .command('audit')
    .description('the audit log, newest first: users, roles and tokens changed, and approvals decided (approve, reject, expire) with their comment')
    .option('--target <target>', "only entries about this target, e.g. 'model:support' or 'user:alice'")
    .option('--limit <n>', 'how many entries', parseIntOption(1, 100_000), 50)
    .action(
      run(async (ctx, opts: { target?: string; limit: number }) => {
        const entries = await ctx.withWorkspace((ws) => ws.auth.audit(localPrincipal(), { ...(opts.target === undefined ? {} : { target: opts.target }), limit: opts.limit }));
        const out = entries.map((e) => ({ at: e.at, actor: e.actor, action: e.action, target: e.target, details: e.details }));
        ctx.emit({ entries: out }, (r) =>
          table(
            ['at', 'actor', 'action', 'target', 'details'],
            r.entries.map((e) => [e.at, e.actor, e.action, e.target, JSON.stringify(e.details)]),
          ),
        );
      }),
    );
}
