import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresFactory } from '../storage/test-support/backends.js';
import { hasStackTrace, runCli } from './test-support/run-cli.js';

const pgAvailable = await postgresFactory.available();
let root: string;
let ws: string;
let adminToken: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mloop-cli-'));
  ws = join(root, 'ws');
  const init = await runCli(['init', 'ws', '--json'], { cwd: root });
  expect(init.code, init.stderr).toBe(0);
  const doc = JSON.parse(init.stdout);
  adminToken = doc.admin.token;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('mloop init and status', () => {
  it('init prints the admin token once and status reports the backend and schema', async () => {
    expect(adminToken).toMatch(/^mlp_/);
    const status = await runCli(['status', '--json'], { cwd: ws });
    expect(status.code, status.stderr).toBe(0);
    const doc = JSON.parse(status.stdout);
    expect(doc.backend).toBe('sqlite');
    expect(doc.schema.version).toBeGreaterThanOrEqual(1);
    expect(doc.schema.version).toBe(doc.schema.known);
    expect(doc.users).toBe(1);
    expect(status.stdout).not.toContain(adminToken);
  });

  it('finds the workspace from a subfolder, or by --workspace and MLOOP_WORKSPACE', async () => {
    const sub = join(ws, 'data', 'nested');
    await import('node:fs').then((fs) => fs.mkdirSync(sub, { recursive: true }));
    expect((await runCli(['status', '--json'], { cwd: sub })).code).toBe(0);
    expect((await runCli(['--workspace', ws, 'status', '--json'], { cwd: root })).code).toBe(0);
    expect((await runCli(['status', '--json'], { cwd: root, env: { MLOOP_WORKSPACE: ws } })).code).toBe(0);
  });

  it('human status is readable text, not JSON', async () => {
    const status = await runCli(['status'], { cwd: ws });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/backend\s+sqlite/);
    expect(status.stdout).toContain('0001_foundation');
  });

  it.skipIf(!pgAvailable)('reports postgres with MLOOP_DATABASE_URL, creating the database', async () => {
    const name = `mloop_cli_${Date.now()}`;
    const url = `postgres://postgres@127.0.0.1:5432/${name}`;
    const dir = join(root, 'pgws');
    const init = await runCli(['init', dir, '--json'], { cwd: root, env: { MLOOP_DATABASE_URL: url } });
    expect(init.code, init.stderr).toBe(0);
    const status = await runCli(['status', '--json'], { cwd: dir, env: { MLOOP_DATABASE_URL: url } });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ backend: 'postgres', database: url });
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.end();
  });
});

describe('bad input gets one clear line and a non-zero exit, never a stack trace', () => {
  const cases: Array<{ name: string; args: string[]; env?: Record<string, string>; setup?: () => void; code: number; line: RegExp }> = [
    { name: 'unknown flag', args: ['status', '--bogus'], code: 2, line: /^error\[INVALID_ARGUMENT\]: unknown option '--bogus'/ },
    { name: 'unknown command', args: ['frobnicate'], code: 2, line: /^error\[INVALID_ARGUMENT\]: unknown command 'frobnicate'/ },
    { name: 'bad port', args: ['server', '--port', 'abc'], code: 2, line: /^error\[INVALID_ARGUMENT\].*port.*expected an integer/ },
    { name: 'unreachable database', args: ['status'], env: { MLOOP_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }, code: 10, line: /^error\[UNAVAILABLE\]: cannot reach PostgreSQL at .*connection refused/ },
    { name: 'unknown database scheme', args: ['status'], env: { MLOOP_DATABASE_URL: 'mysql://h/x' }, code: 2, line: /^error\[INVALID_ARGUMENT\]: unsupported database URL scheme 'mysql:'/ },
    { name: 'bad setting', args: ['status'], env: { MLOOP_PORT: '99999' }, code: 2, line: /^error\[INVALID_ARGUMENT\]: invalid setting MLOOP_PORT: must be at most 65535/ },
    { name: 'unknown user', args: ['token', 'create', '--user', 'ghost'], code: 3, line: /^error\[NOT_FOUND\]: user 'ghost' not found/ },
    { name: 'unknown role', args: ['user', 'create', 'bob', '--role', 'wizard'], code: 2, line: /^error\[INVALID_ARGUMENT\]: unknown role 'wizard'; valid roles: admin/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCli(c.args, { cwd: ws, ...(c.env ? { env: c.env } : {}) });
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stderr.split('\n')[0]).toMatch(c.line);
      expect(hasStackTrace(r.stderr)).toBe(false);
      expect(r.stdout).toBe('');
    });
  }

  it('a malformed config file names the file', async () => {
    const dir = join(root, 'badcfg');
    expect((await runCli(['init', dir])).code).toBe(0);
    writeFileSync(join(dir, 'mloop.json'), '{"server": {');
    const r = await runCli(['status'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[INVALID_ARGUMENT\]: config file .*mloop.json is not valid JSON/);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('no workspace says how to make one', async () => {
    const r = await runCli(['status'], { cwd: tmpdir() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no mloop workspace/);
    expect(r.stderr).toMatch(/hint: run 'mloop init <dir>'/);
  });

  it('init refuses an existing workspace, and a failed init leaves nothing behind', async () => {
    const again = await runCli(['init', ws]);
    expect(again.code).toBe(4);
    const dir = join(root, 'never');
    const failed = await runCli(['init', dir], { env: { MLOOP_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' } });
    expect(failed.code).toBe(10);
    expect(existsSync(dir)).toBe(false);
  });

  it('--json errors print one JSON error document on stdout; --verbose shows the cause', async () => {
    const r = await runCli(['status', '--json'], { cwd: ws, env: { MLOOP_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' } });
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'UNAVAILABLE' } });
    const v = await runCli(['status', '--verbose'], { cwd: ws, env: { MLOOP_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' } });
    expect(v.stderr).toMatch(/caused by: .*ECONNREFUSED/);
  });
});

describe('users and tokens', () => {
  it('creates a user and a token, lists tokens without secrets, and revokes', async () => {
    const user = await runCli(['user', 'create', 'ann', '--role', 'annotator:proj-a', '--json'], { cwd: ws });
    expect(user.code, user.stderr).toBe(0);
    expect(JSON.parse(user.stdout).roles).toEqual([{ role: 'annotator', scope: 'proj-a' }]);
    const created = await runCli(['token', 'create', '--user', 'ann', '--name', 'laptop', '--json'], { cwd: ws });
    expect(created.code, created.stderr).toBe(0);
    const { token, info } = JSON.parse(created.stdout);
    const list = await runCli(['token', 'list', '--json'], { cwd: ws });
    const tokens = JSON.parse(list.stdout).tokens as Array<{ id: string; revoked_at: string | null }>;
    expect(tokens.map((x) => x.id)).toContain(info.id);
    expect(list.stdout).not.toContain(token);
    const revoked = await runCli(['token', 'revoke', info.id, '--json'], { cwd: ws });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout).revoked_at).not.toBeNull();
    const twice = await runCli(['token', 'revoke', info.id], { cwd: ws });
    expect(twice.code).toBe(6);
    const users = await runCli(['user', 'list', '--json'], { cwd: ws });
    expect(JSON.parse(users.stdout).users.map((u: { name: string }) => u.name)).toEqual(['admin', 'ann']);
  });
});
