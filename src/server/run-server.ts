/** Runs the server with graceful shutdown on SIGTERM and SIGINT. */
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { MloopError } from '../errors/index.js';
import type { Workspace } from '../workspace/index.js';
import { buildServer, type BuildServerOptions, type ServerState } from './build-server.js';

/** How long idle keep-alive connections may still send one last request during shutdown. */
const IDLE_GRACE_MS = 1000;

export interface RunningServer {
  app: FastifyInstance & { mloopState: ServerState };
  /** `http://host:port` actually bound. */
  url: string;
  /** Stops accepting, drains in-flight requests, closes idle keep-alive sockets, closes the workspace. */
  shutdown(reason: string): Promise<void>;
  /** Resolves when the server has shut down. */
  closed: Promise<void>;
}

export interface RunServerOptions {
  host?: string;
  port?: number;
  logger?: Logger;
  /** Install SIGTERM/SIGINT handlers (the CLI does; tests drive `shutdown` directly). */
  handleSignals?: boolean;
  /** Extra route plugins, passed to `buildServer`. */
  plugins?: BuildServerOptions['plugins'];
}

/** Creates the JSON logger the server writes to stdout. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'mloop' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'headers.authorization'],
  });
}

/**
 * Turns a failure to listen into the error a user can act on: the address in use, not allowed or
 * not on this host names the address and the flag (and setting) to change. Anything else is returned
 * unchanged (an unexpected failure stays INTERNAL).
 *
 * @example
 * try { await runServer(ws); } catch (err) { throw listenError(err, host, port); }
 */
export function listenError(err: unknown, host: string, port: number): unknown {
  const e = err as NodeJS.ErrnoException & { address?: unknown; port?: unknown };
  if (!(e instanceof Error) || typeof e.code !== 'string' || e.syscall !== 'listen') return err;
  const h = typeof e.address === 'string' ? e.address : host;
  const p = typeof e.port === 'number' ? e.port : port;
  const where = `${h.includes(':') ? `[${h}]` : h}:${p}`;
  const details = { host: h, port: p, reason: e.code };
  switch (e.code) {
    case 'EADDRINUSE':
      return MloopError.failedPrecondition(`port ${p} on ${h} is already in use (another mloop server or program listens on ${where})`, {
        details,
        cause: err,
        hint: 'stop the other server, or pass another --port (setting server.port; 0 picks a free port)',
      });
    case 'EACCES':
      return MloopError.permissionDenied(`cannot listen on ${where}: not allowed to bind this port (ports below 1024 need privileges)`, {
        details,
        cause: err,
        hint: 'pass a port of 1024 or more with --port (setting server.port)',
      });
    case 'EADDRNOTAVAIL':
      return MloopError.invalidArgument(`cannot listen on ${where}: the address is not one of this host's`, {
        details,
        cause: err,
        hint: 'pass an address of this host with --host (setting server.host), such as 127.0.0.1 or 0.0.0.0',
      });
    default:
      return err;
  }
}

/**
 * Listens on the configured address and returns once accepting connections.
 *
 * @example
 * const server = await runServer(ws, { handleSignals: true });
 * await server.closed;
 */
export async function runServer(ws: Workspace, options: RunServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(ws.config.log.level);
  const app = await buildServer(ws, { logger, jobs: { worker: ws.config.jobs.serverWorker }, ...(options.plugins ? { plugins: options.plugins } : {}) });
  const host = options.host ?? ws.config.server.host;
  const port = options.port ?? ws.config.server.port;
  try {
    await app.listen({ host, port });
  } catch (err) {
    // Not listening (the port is taken, say): stop what buildServer started; the caller keeps the workspace.
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let shuttingDown: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      app.mloopState.closing = true;
      logger.info({ reason }, 'shutting down: no new connections; draining in-flight requests');
      const timeoutMs = ws.config.server.shutdownTimeoutMs;
      // Busy keep-alive connections close after their next response (Connection: close); idle
      // ones get a grace period to send a last request, then are closed.
      let sweeper: NodeJS.Timeout | undefined;
      const grace = setTimeout(() => {
        app.server.closeIdleConnections();
        sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
      }, Math.min(IDLE_GRACE_MS, timeoutMs));
      const force = setTimeout(() => {
        logger.warn({ timeoutMs }, 'shutdown timeout: closing remaining connections');
        app.server.closeAllConnections();
      }, timeoutMs);
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
        clearInterval(sweeper);
        clearTimeout(force);
        await ws.close();
        logger.info('shut down');
        resolveClosed();
      }
    })();
    return shuttingDown;
  };

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      void shutdown(signal);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    void closed.then(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
  }
  return { app, url, shutdown, closed };
}
