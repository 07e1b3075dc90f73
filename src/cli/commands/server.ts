import type { Command } from 'commander';
import { runServer } from '../../server/index.js';
import { openWorkspace } from '../../workspace/index.js';
import { parseIntOption } from '../options.js';
import { semiSpaceGiven, watchParent } from '../relaunch.js';
import type { Runner } from '../program.js';

export function registerServer(program: Command, run: Runner): void {
  program
    .command('server')
    .description('serve the HTTP API (JSON logs on stdout); SIGTERM or Ctrl-C drains in-flight requests and stops')
    .option('--host <host>', 'address to bind (default 127.0.0.1, setting server.host)')
    .option('--port <port>', 'port to listen on (default 7070, setting server.port)', parseIntOption(0, 65535))
    .action(
      run(async (ctx, opts: { host?: string; port?: number }) => {
        const ws = await openWorkspace({
          workspace: ctx.flags.workspace,
          cwd: ctx.io.cwd,
          env: ctx.io.env,
          overrides: { 'server.host': opts.host, 'server.port': opts.port },
        });
        // V8 reads the young generation's size only at start-up: start again with it (server.semiSpaceMb).
        const semiSpaceMb = ws.config.server.semiSpaceMb;
        if (ctx.io.relaunch !== undefined && semiSpaceMb > 0 && !semiSpaceGiven(process.execArgv, ctx.io.env['NODE_OPTIONS'])) {
          await ws.close();
          ctx.exitCode = await ctx.io.relaunch([`--max-semi-space-size=${semiSpaceMb}`]);
          return;
        }
        watchParent();
        let server;
        try {
          server = await runServer(ws, { handleSignals: true });
        } catch (err) {
          await ws.close();
          throw err;
        }
        ctx.io.stderr.write(`mloop server listening on ${server.url} (workspace ${ws.root}); Ctrl-C to stop\n`);
        await server.closed;
      }),
    );
}
