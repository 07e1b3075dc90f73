import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, runServer } from './index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

let t: TempWorkspace | undefined;
afterEach(async () => {
  await t?.cleanup().catch(() => undefined);
  t = undefined;
});

interface Reply {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One GET over `agent`; rejects with the socket error code when no response arrives. */
function get(url: string, agent: Agent, token?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A keep-alive client loop: sequential requests until the server refuses connections. */
async function clientLoop(base: string, token: string, dispatcher: Agent, path: string) {
  const outcomes: Array<{ status?: number; complete?: boolean; error?: string }> = [];
  for (let i = 0; i < 10_000; i++) {
    try {
      const res = await get(`${base}${path}`, dispatcher, token);
      const text = res.text;
      let complete = false;
      try {
        JSON.parse(text);
        complete = true;
      } catch {
        complete = false;
      }
      outcomes.push({ status: res.statusCode, complete });
    } catch (err) {
      const code = (err as { code?: string }).code ?? String(err);
      outcomes.push({ error: code });
      if (code === 'ECONNREFUSED') break;
    }
  }
  return outcomes;
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests, then stops accepting', async () => {
    t = await tempWorkspace();
    let arrived = 0;
    const server = await runServer(t.ws, {
      host: '127.0.0.1',
      port: 0,
      logger: createLogger('silent'),
      plugins: [
        async (app) => {
          app.get('/v1/test/slow', { config: { access: { authenticated: true } } }, async () => {
            arrived++;
            await sleep(400);
            return { done: true };
          });
        },
      ],
    });
    const dispatcher = new Agent({ keepAlive: true });
    const inflight = Array.from({ length: 10 }, () =>
      get(`${server.url}/v1/test/slow`, dispatcher, t!.adminToken).then((r) => ({
        status: r.statusCode,
        connection: r.headers['connection'],
        body: JSON.parse(r.text) as unknown,
      })),
    );
    // Shut down only once every request is in flight (accepted and in its handler).
    while (arrived < 10) await sleep(10);
    const closing = server.shutdown('test');
    const results = await Promise.all(inflight);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ done: true });
      expect(r.connection).toBe('close');
    }
    await closing;
    const after = await get(`${server.url}/healthz`, dispatcher).catch((e: { code?: string }) => e.code);
    expect(after).toBe('ECONNREFUSED');
    dispatcher.destroy();
    t = undefined; // runServer closed the workspace
  });

  it('SIGTERM under a steady stream: every accepted request gets its full response', async () => {
    t = await tempWorkspace();
    const child = spawn(process.execPath, [BIN, 'server', '--port', '0'], {
      cwd: t.dir,
      env: { PATH: process.env['PATH'], MLOOP_SHUTDOWN_TIMEOUT_MS: '10000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const deadline = Date.now() + 15_000;
    let base: string | undefined;
    while (!base && Date.now() < deadline) {
      base = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (!base) await sleep(50);
    }
    expect(base, stderr).toBeDefined();
    const dispatcher = new Agent({ keepAlive: true, maxSockets: 8 });
    const loops = Array.from({ length: 8 }, (_, i) => clientLoop(base!, t!.adminToken, dispatcher, i % 2 ? '/v1/status' : '/v1/whoami'));
    await sleep(600);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    const outcomes = (await Promise.all(loops)).flat();
    dispatcher.destroy();
    expect(code).toBe(0);
    const answered = outcomes.filter((o) => o.status !== undefined);
    const errors = outcomes.filter((o) => o.error !== undefined).map((o) => o.error);
    expect(answered.length).toBeGreaterThan(20);
    expect(answered.every((o) => o.status === 200 && o.complete)).toBe(true);
    // The only failures allowed are connections refused after the listener closed.
    expect(errors.filter((e) => e !== 'ECONNREFUSED')).toEqual([]);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
