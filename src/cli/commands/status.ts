import type { Command } from 'commander';
import { workspaceStatus } from '../../workspace/index.js';
import { table } from '../context.js';
import type { Runner } from '../program.js';

export function registerStatus(program: Command, run: Runner): void {
  program
    .command('status')
    .description('show the workspace: metadata backend, schema version, artifact store, users and tokens')
    .action(
      run(async (ctx) => {
        const status = await ctx.withWorkspace(workspaceStatus);
        ctx.emit(status, (s) =>
          [
            `workspace   ${s.workspace}`,
            `mloop       ${s.mloop_version}`,
            `backend     ${s.backend} (${s.database})`,
            `schema      version ${s.schema.version} of ${s.schema.known} (${s.schema.latest ?? 'empty'})`,
            `artifacts   ${s.artifacts.kind} ${s.artifacts.location}: ${s.artifacts.blobs} blobs, ${s.artifacts.bytes} bytes`,
            `users       ${s.users} (${s.active_tokens} active tokens)`,
            `jobs        ${Object.entries(s.jobs).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ') || 'none'}`,
            `server      http://${s.server.host}:${s.server.port}`,
            '',
            table(
              ['migration', 'status', 'executed at'],
              s.schema.migrations.map((m) => [m.name, m.status, m.executedAt]),
            ),
          ].join('\n'),
        );
      }),
    );
}
