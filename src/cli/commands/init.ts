import type { Command } from 'commander';
import { initWorkspace } from '../../workspace/index.js';
import type { Runner } from '../program.js';

export function registerInit(program: Command, run: Runner): void {
  program
    .command('init')
    .description('create a workspace: config file, metadata store, artifact store, first admin and token')
    .argument('[dir]', 'folder to create the workspace in', '.')
    .option('--database-url <url>', 'metadata store to record in mloop.json (default: SQLite inside the workspace)')
    .option('--admin <name>', 'name of the first admin user', 'admin')
    .action(
      run(async (ctx, dir: string, opts: { databaseUrl?: string; admin: string }) => {
        const result = await initWorkspace(dir, {
          cwd: ctx.io.cwd,
          env: ctx.io.env,
          ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
          adminName: opts.admin,
        });
        ctx.emit(
          {
            workspace: result.workspace,
            backend: result.backend,
            database: result.database,
            schema: { version: result.schema.version, latest: result.schema.latest },
            admin: result.admin && { user: result.admin.user, token: result.admin.token, token_id: result.admin.tokenId },
          },
          (r) =>
            [
              `Created workspace ${r.workspace}`,
              `  metadata store: ${r.backend} (${r.database}), schema version ${r.schema.version}`,
              r.admin
                ? `\nAdmin user '${r.admin.user}' was created. Its token is shown only once; keep it somewhere safe:\n\n  ${r.admin.token}\n\nSend it as 'Authorization: Bearer <token>' to 'mloop server'.`
                : '\nThe metadata store has users already; no admin was created. Use an existing token.',
            ].join('\n'),
        );
      }),
    );
}
