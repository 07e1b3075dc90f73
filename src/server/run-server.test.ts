import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isMloopError, EXIT_CODE } from '../errors/index.js';
import { runCliInProcess } from '../cli/test-support/run-cli.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { createLogger, listenError, runServer } from './index.js';

let t: TempWorkspace | undefined;
let taken: Server | undefined;
afterEach(async () => {
  taken?.close();
  taken = undefined;
  await t?.cleanup().catch(() => undefined);
  t = undefined;
});

/** Holds a port on 127.0.0.1, as another program would. */
async function takePort(): Promise<number> {
  taken = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  return (taken.address() as { port: number }).port;
}

describe('listenError', () => {
  it('a port in use is FAILED_PRECONDITION naming the address and --port', async () => {
    t = await tempWorkspace();
    const port = await takePort();
    const err = await runServer(t.ws, { port, host: '127.0.0.1', logger: createLogger('silent') }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    const mapped = listenError(err, '127.0.0.1', port);
    expect(isMloopError(mapped)).toBe(true);
    if (!isMloopError(mapped)) return;
    expect(mapped.code).toBe('FAILED_PRECONDITION');
    expect(mapped.message).toBe(`port ${port} on 127.0.0.1 is already in use (another mloop server or program listens on 127.0.0.1:${port})`);
    expect(mapped.hint).toMatch(/--port/);
    expect(mapped.details).toEqual({ host: '127.0.0.1', port, reason: 'EADDRINUSE' });
  });

  it('an address not of this host is INVALID_ARGUMENT naming --host', async () => {
    t = await tempWorkspace();
    // 192.0.2.0/24 is TEST-NET-1: never an address of this host.
    const err = await runServer(t.ws, { port: 0, host: '192.0.2.1', logger: createLogger('silent') }).then(
      () => null,
      (e: unknown) => e,
    );
    const mapped = listenError(err, '192.0.2.1', 0);
    expect(isMloopError(mapped) && mapped.code).toBe('INVALID_ARGUMENT');
    expect((mapped as Error).message).toMatch(/^cannot listen on 192\.0\.2\.1:0: the address is not one of this host's/);
    expect(isMloopError(mapped) && mapped.hint).toMatch(/--host/);
  });

  it('leaves other errors as they are (they stay INTERNAL)', () => {
    const other = new Error('boom');
    expect(listenError(other, '127.0.0.1', 7070)).toBe(other);
    const notListen = Object.assign(new Error('read'), { code: 'EADDRINUSE', syscall: 'connect' });
    expect(listenError(notListen, '127.0.0.1', 7070)).toBe(notListen);
    expect(listenError('text', '127.0.0.1', 7070)).toBe('text');
  });
});

describe('mloop server', () => {
  it('on a port in use: one error line naming the port, a hint with --port, exit code of FAILED_PRECONDITION', async () => {
    t = await tempWorkspace();
    const port = await takePort();
    const r = await runCliInProcess(['--workspace', t.dir, 'server', '--host', '127.0.0.1', '--port', String(port)], { cwd: t.dir, env: { MLOOP_LOG_LEVEL: 'silent' } });
    expect(r.code).toBe(EXIT_CODE.FAILED_PRECONDITION);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(`error[FAILED_PRECONDITION]: port ${port} on 127.0.0.1 is already in use (another mloop server or program listens on 127.0.0.1:${port})`);
    expect(r.stderr).toMatch(/hint: .*--port/);
    expect(r.stderr).not.toMatch(/INTERNAL|EADDRINUSE/);
  });
});
