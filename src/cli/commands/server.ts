import type { Command } from 'commander';
import { loadConfig, locateWorkspace } from '../../config/index.js';
import { listenError, runServer } from '../../server/index.js';
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
        const overrides = { 'server.host': opts.host, 'server.port': opts.port };
        // V8 reads the young generation's size only at start-up: start again with it
        // (server.semiSpaceMb). The launcher reads only the settings; the workspace is opened once,
        // by the process that serves.
        if (ctx.io.relaunch !== undefined && !semiSpaceGiven(process.execArgv, ctx.io.env['NODE_OPTIONS'])) {
          const root = locateWorkspace({ explicit: ctx.flags.workspace, cwd: ctx.io.cwd, env: ctx.io.env });
          const semiSpaceMb = loadConfig({ workspace: root, env: ctx.io.env, overrides }).config.server.semiSpaceMb;
          if (semiSpaceMb > 0) {
            ctx.exitCode = await ctx.io.relaunch([`--max-semi-space-size=${semiSpaceMb}`]);
            return;
          }
        }
        const ws = await openWorkspace({ workspace: ctx.flags.workspace, cwd: ctx.io.cwd, env: ctx.io.env, overrides });
        watchParent();
        let server;
        try {
          server = await runServer(ws, { handleSignals: true });
        } catch (err) {
          await ws.close();
          throw listenError(err, ws.config.server.host, ws.config.server.port);
        }
        ctx.io.stderr.write(`mloop server listening on ${server.url} (workspace ${ws.root}); Ctrl-C to stop\n`);
        await server.closed;
      }),
    );
}
