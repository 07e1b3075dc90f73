/**
 * kill -9 during `mloop models export`, `models import` and `models alias set`: afterwards the
 * registry and the output file show either the old state or the whole new one, never a partial one.
 * The model carries a 48 MB incompressible artifact so that export and import take long enough for
 * the kill to land in the middle of writing (the test checks that it did).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import type { VersionRecord } from './index.js';

const BIN = join(process.env['MLOOP_TEST_DIST'] ?? fileURLToPath(new URL('../../dist', import.meta.url)), 'cli', 'bin.js');
const ENV = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' };

const record: VersionRecord = {
  datasets: ['support@1'],
  inputSchema: [{ name: 'text', type: 'text', role: 'text' }],
  label: 'intent',
  classes: ['a', 'b'],
  learner: 'text-softmax',
  params: {},
  seed: 1,
  codeVersion: 'test',
  metrics: {},
};

const cli = (ws: string, ...args: string[]) => spawnSync(process.execPath, [BIN, '--workspace', ws, ...args], { encoding: 'utf8', env: ENV });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Starts `mloop args…`, calls `until` in a tight loop, and kills the child with SIGKILL when it returns true (or when it exits). */
async function killWhen(ws: string, args: string[], until: (pid: number) => boolean): Promise<{ killed: boolean; status: number | null }> {
  const child = spawn(process.execPath, [BIN, '--workspace', ws, ...args], { stdio: 'ignore', env: ENV });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    if (until(child.pid!)) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setImmediate(r));
  }
  const status = await exited;
  return { killed: child.signalCode === 'SIGKILL', status };
}

let a: TempWorkspace;
let b: TempWorkspace;
let big: Buffer;

beforeAll(async () => {
  [a, b] = await Promise.all([tempWorkspace(), tempWorkspace()]);
  big = randomBytes(48 * 1024 * 1024);
  await a.ws.registry.registerVersion('eng', { model: 'router', task: 'text-classification', record, files: [{ name: 'weights.bin', data: big }, { name: 'model.json', data: '{"v":1}' }] });
  await a.ws.registry.registerVersion('eng', { model: 'router', task: 'text-classification', record, files: [{ name: 'model.json', data: '{"v":2}' }] });
  await a.ws.registry.setAlias('eng', 'router', 'champion', 1, 'first');
}, 60_000);
afterAll(async () => Promise.all([a?.cleanup(), b?.cleanup()]));

describe.skipIf(!existsSync(BIN))('kill -9 during registry writes (needs npm run build)', () => {
  it('export: a kill mid-write leaves the previous file untouched, never a partial bundle', async () => {
    const out = join(a.dir, '..', 'router.mloop');
    writeFileSync(out, 'the previous file');
    const temp = (pid: number) => join(a.dir, '..', `.router.mloop.${pid}.tmp`);
    const r = await killWhen(a.dir, ['models', 'export', 'router@1', '--output', out, '--force'], (pid) => existsSync(temp(pid)));
    expect(r.killed).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('the previous file');

    const full = cli(a.dir, 'models', 'export', 'router@1', '--output', out, '--force', '--json');
    expect(full.status, full.stderr).toBe(0);
    expect(JSON.parse(full.stdout)).toMatchObject({ ref: 'router@1', sha256: sha256(readFileSync(out)) });
  }, 120_000);

  it('import: every kill leaves no version or the whole version; the next import completes once', async () => {
    const bundle = join(a.dir, '..', 'router.mloop');
    if (!existsSync(bundle) || readFileSync(bundle).length < 1024) expect(cli(a.dir, 'models', 'export', 'router@1', '--output', bundle).status).toBe(0);
    const tmp = join(b.dir, '.mloop', 'artifacts', 'tmp');
    let midBlob = 0;
    // Kill while a blob is being written, then (with growing delays) at later points of the import.
    for (const delayAfterBlob of [0, 50, 150, 400]) {
      let seenAt = 0;
      const r = await killWhen(b.dir, ['models', 'import', bundle, '--name', 'copy'], () => {
        if (seenAt === 0 && existsSync(tmp) && readdirSync(tmp).length > 0) seenAt = Date.now();
        return seenAt > 0 && Date.now() - seenAt >= delayAfterBlob;
      });
      if (r.killed && delayAfterBlob === 0) midBlob++;
      const list = cli(b.dir, 'models', 'show', 'copy', '--json');
      if (list.status === 0) {
        // the version exists: then all of it exists and verifies
        const v = await b.ws.registry.resolve('copy@1');
        expect((await b.ws.registry.listVersions('copy')).length).toBe(1);
        expect(sha256(await b.ws.registry.readArtifact(v, 'weights.bin'))).toBe(sha256(big));
      } else {
        expect(list.status, list.stderr).toBe(3); // NOT_FOUND: no model, no orphan record
        await expect(b.ws.registry.listVersions('copy')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }
    }
    expect(midBlob).toBe(1);

    const done = cli(b.dir, 'models', 'import', bundle, '--name', 'copy', '--json');
    expect(done.status, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ ref: 'copy@1' });
    const versions = await b.ws.registry.listVersions('copy');
    expect(versions.map((v) => v.version)).toEqual([1]);
    expect((await b.ws.registry.readArtifact(versions[0]!, 'weights.bin')).equals(big)).toBe(true);
  }, 180_000);

  it('alias move: after every kill the alias points at the old or the new version, and the history agrees', async () => {
    let expected = (await a.ws.registry.resolve('router@champion')).version;
    let moves = (await a.ws.registry.history('router', 'champion')).length;
    const check = async (target: number, reason: string) => {
      const now = (await a.ws.registry.resolve('router@champion')).version;
      const history = await a.ws.registry.history('router', 'champion');
      expect([expected, target]).toContain(now);
      if (now === target) {
        expect(history.length).toBe(moves + 1);
        expect(history.find((m) => m.reason === reason)).toMatchObject({ toVersion: target, fromVersion: expected });
        moves++;
        expected = target;
      } else {
        expect(history.length).toBe(moves);
      }
    };
    // One move to the end, timed: the kills below land at fractions of that time, however loaded the machine is.
    const started = Date.now();
    const first = cli(a.dir, 'models', 'alias', 'set', 'router', 'champion', String(expected === 1 ? 2 : 1), '--reason', 'timed');
    const took = Date.now() - started;
    expect(first.status, first.stderr).toBe(0);
    await check(expected === 1 ? 2 : 1, 'timed');
    for (const fraction of [0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1, 1.1]) {
      const target = expected === 1 ? 2 : 1;
      const reason = `kill at ${fraction}`;
      const begun = Date.now();
      await killWhen(a.dir, ['models', 'alias', 'set', 'router', 'champion', String(target), '--reason', reason], () => Date.now() - begun >= fraction * took);
      await check(target, reason);
    }
  }, 180_000);
});
