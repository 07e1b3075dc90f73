import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { semiSpaceGiven } from './relaunch.js';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const linux = process.platform === 'linux';

describe('semiSpaceGiven', () => {
  it('finds the flag on the command line or in NODE_OPTIONS, in either spelling', () => {
    expect(semiSpaceGiven(['--max-semi-space-size=32'], undefined)).toBe(true);
    expect(semiSpaceGiven([], '--inspect --max_semi_space_size=8')).toBe(true);
    expect(semiSpaceGiven(['--max-old-space-size=4096'], '--max-old-space-size=100')).toBe(false);
    expect(semiSpaceGiven([], '')).toBe(false);
  });
});

let t: TempWorkspace | undefined;
let launched: ChildProcess | undefined;
afterEach(async () => {
  launched?.kill('SIGKILL');
  launched = undefined;
  await t?.cleanup().catch(() => undefined);
  t = undefined;
});

/** Starts `mloop server` in `t` and resolves with its process and URL once it listens. */
async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; base: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0'], {
    cwd: t!.dir,
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launched = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const deadline = Date.now() + 20_000;
  let base: string | undefined;
  while (!base && Date.now() < deadline) {
    base = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    if (!base) await sleep(50);
  }
  expect(base, stderr).toBeDefined();
  return { child, base: base!, stderr: () => stderr };
}

/** Child process ids of `pid` (Linux). */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

describe.runIf(linux)('mloop server with server.semiSpaceMb', () => {
  it('serves from a child started with the semi-space flag, and passes SIGTERM on (exit 0)', async () => {
    t = await tempWorkspace();
    const { child, base } = await startServer({});
    const [server] = childrenOf(child.pid!);
    expect(server).toBeDefined();
    expect(readFileSync(`/proc/${server}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=64');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(alive(server!)).toBe(false);
  });

  it('a server whose launcher is killed outright stops on its own', async () => {
    t = await tempWorkspace();
    const { child, base } = await startServer({ MLOOP_SERVER_SEMI_SPACE_MB: '32' });
    const [server] = childrenOf(child.pid!);
    expect(readFileSync(`/proc/${server}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=32');
    child.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    while (alive(server!) && Date.now() < deadline) await sleep(100);
    expect(alive(server!)).toBe(false);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('0, or the flag already given, serves from the one process', async () => {
    t = await tempWorkspace();
    const envs: Array<Record<string, string>> = [
      { MLOOP_SERVER_SEMI_SPACE_MB: '0' },
      { NODE_OPTIONS: '--max-semi-space-size=16' },
    ];
    for (const env of envs) {
      const { child, base } = await startServer(env);
      expect(childrenOf(child.pid!)).toEqual([]);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    }
  });

  it('an invalid size is refused before anything starts', async () => {
    t = await tempWorkspace();
    const child = spawn(process.execPath, [BIN, 'server', '--port', '0'], {
      cwd: t.dir,
      env: { PATH: process.env['PATH'], MLOOP_SERVER_SEMI_SPACE_MB: 'lots' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launched = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/MLOOP_SERVER_SEMI_SPACE_MB/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
