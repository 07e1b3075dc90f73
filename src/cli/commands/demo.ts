import type { Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { runDemo, type DemoResult } from '../../demo/index.js';
import { createLogger, listenError, runServer, type RunningServer } from '../../server/index.js';
import { openWorkspace } from '../../workspace/index.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

interface DemoOpts {
  dir?: string;
  seed: number;
  rows: number;
  serve: boolean;
  host?: string;
  port?: number;
}

/** The dashboard the demo ends serving: its address and a fresh admin token to sign in with. */
interface DemoDashboard {
  url: string;
  user: string;
  token: string;
  token_id: string;
}

/** Serves the demo workspace (dashboard and API) with a fresh token of the demo's admin; the default port falls back to a free one when taken. */
async function serveDemo(result: DemoResult, env: NodeJS.ProcessEnv, opts: DemoOpts): Promise<{ server: RunningServer; dashboard: DemoDashboard }> {
  // Like the demo itself: the embedded workspace, whatever MLOOP_* the caller's environment sets.
  const clean = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('MLOOP_')));
  const ws = await openWorkspace({ workspace: result.workspace, env: clean, overrides: { 'server.host': opts.host, 'server.port': opts.port } });
  try {
    const admin = String(result.steps.find((s) => s.name === 'workspace')?.details['admin'] ?? 'admin');
    const created = await ws.auth.createToken(localPrincipal(), { user: admin, name: 'demo-dashboard' });
    const logger = createLogger('silent');
    let server: RunningServer;
    try {
      server = await runServer(ws, { handleSignals: true, logger });
    } catch (err) {
      if (opts.port !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw listenError(err, ws.config.server.host, ws.config.server.port);
      server = await runServer(ws, { handleSignals: true, logger, port: 0 });
    }
    return { server, dashboard: { url: `${server.url}/`, user: admin, token: created.token, token_id: created.info.id } };
  } catch (err) {
    await ws.close();
    throw err;
  }
}

export function registerDemo(program: Command, run: Runner): void {
  program
    .command('demo')
    .description('run the whole story on a throw-away workspace (a support team automating its most frequent requests), then serve its dashboard until Ctrl-C')
    .option('--dir <dir>', 'create the demo workspace here instead of a temporary folder')
    .option('--seed <n>', 'seed of the generated data', parseIntOption(0, 2 ** 31 - 1), 42)
    .option('--rows <n>', 'how many support requests to generate', parseIntOption(100, 1_000_000), 6000)
    .option('--no-serve', 'stop after the story instead of serving the dashboard (for scripts)')
    .option('--host <host>', 'address the dashboard binds (default 127.0.0.1)')
    .option('--port <port>', 'port of the dashboard (default 7070, or a free port when 7070 is taken; 0: a free port)', parseIntOption(0, 65535))
    .action(
      run(async (ctx, opts: DemoOpts) => {
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
        const served = opts.serve ? await serveDemo(result, ctx.io.env, opts) : null;
        ctx.emit({ ...result, dashboard: served?.dashboard ?? null }, (r) =>
          [
            `\nDemo workspace: ${r.workspace}`,
            `Inspect it with: mloop --workspace ${r.workspace} status`,
            `Why each retraining step happened: mloop --workspace ${r.workspace} retraining decisions; … runs list; … runs show <run>; … approvals list`,
            ...(r.dashboard
              ? [
                  '',
                  `Dashboard: ${r.dashboard.url}`,
                  `Token: ${r.dashboard.token}`,
                  `  (a new API token of the demo's admin '${r.dashboard.user}': paste it on the dashboard's sign-in page, or send it as "Authorization: Bearer …" to the API; shown only now)`,
                  'Serving the dashboard and the API on the demo workspace; Ctrl-C to stop.',
                ]
              : []),
          ].join('\n'),
        );
        if (served) await served.server.closed;
      }),
    );
}
