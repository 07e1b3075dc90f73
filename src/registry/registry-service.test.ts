import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../auth/index.js';
import type { MloopError } from '../errors/index.js';
import { buildServer } from '../server/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import type { VersionRecord } from './index.js';

let t: TempWorkspace;
const record: VersionRecord = { datasets: ['tickets@1'], inputSchema: [{ name: 'text', type: 'text' }], learner: 'test', params: {}, seed: 7, codeVersion: 'test', metrics: { accuracy: 0.91 } };

beforeAll(async () => {
  t = await tempWorkspace();
  for (let i = 0; i < 2; i++) {
    await t.ws.registry.registerVersion('eng', { model: 'support', task: 'text-classification', record, files: [{ name: 'model.json', data: JSON.stringify({ i }) }] });
  }
});
afterAll(async () => t.cleanup());

const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as MloopError).code;

describe('RegistryService', () => {
  it('stores files content-addressed and reads them back verified', async () => {
    const v = await t.ws.registry.resolve('support@1');
    expect(v.artifacts[0]).toMatchObject({ name: 'model.json', mediaType: 'application/json' });
    expect((await t.ws.registry.readArtifact(v, 'model.json')).toString()).toBe('{"i":0}');
    expect(await code(t.ws.registry.readArtifact(v, 'other.bin'))).toBe('NOT_FOUND');
  });

  it('resolves name, name@N and name@alias, with helpful misses', async () => {
    expect((await t.ws.registry.resolve('support')).version).toBe(2);
    await t.ws.registry.setAlias('pm', 'support', 'champion', 1, 'first release');
    expect((await t.ws.registry.resolve('support@champion')).version).toBe(1);
    expect(await code(t.ws.registry.resolve('support@9'))).toBe('NOT_FOUND');
    expect(await code(t.ws.registry.resolve('support@nope'))).toBe('NOT_FOUND');
    expect(await code(t.ws.registry.resolve('ghost@1'))).toBe('NOT_FOUND');
    expect(await code(t.ws.registry.resolve('../etc@1'))).toBe('INVALID_ARGUMENT');
    expect(await code(t.ws.registry.resolve('support@0'))).toBe('INVALID_ARGUMENT');
  });

  it('requires a reason, a valid alias and an existing version', async () => {
    expect(await code(t.ws.registry.setAlias('pm', 'support', 'champion', 2, '  '))).toBe('INVALID_ARGUMENT');
    expect(await code(t.ws.registry.setAlias('pm', 'support', '3', 2, 'x'))).toBe('INVALID_ARGUMENT');
    expect(await code(t.ws.registry.setAlias('pm', 'support', 'champion', 7, 'x'))).toBe('NOT_FOUND');
    expect(await code(t.ws.registry.registerVersion('eng', { model: 'bad/name', task: 'text-classification', record, files: [] }))).toBe('INVALID_ARGUMENT');
    expect(await code(t.ws.registry.registerVersion('eng', { model: 'x', task: 'vision' as never, record, files: [] }))).toBe('INVALID_ARGUMENT');
  });
});

describe('deriveVersion', () => {
  it('registers a new version with the source files and a new record; a repeated run key returns it', async () => {
    const source = await t.ws.registry.resolve('support@1');
    const next = { ...source.record, thresholds: { confidence: 0.8 } };
    const a = await t.ws.registry.deriveVersion('eng', source, { record: next, runKey: 'derive-1', tags: { from: source.ref }, notes: 'with a threshold' });
    expect(a.created).toBe(true);
    expect(a.version.version).toBe((await t.ws.registry.getModel('support')).latestVersion);
    expect(a.version).toMatchObject({ model: 'support', task: source.task, notes: 'with a threshold', tags: { from: 'support@1' }, record: { thresholds: { confidence: 0.8 } } });
    expect(a.version.artifacts).toEqual(source.artifacts);
    expect((await t.ws.registry.readArtifact(a.version, 'model.json')).toString()).toBe('{"i":0}');
    // The source is unchanged (versions are immutable).
    expect((await t.ws.registry.resolve('support@1')).record).toEqual(source.record);
    const b = await t.ws.registry.deriveVersion('eng', source, { record: next, runKey: 'derive-1' });
    expect(b).toMatchObject({ created: false, version: { id: a.version.id } });
  });
});

describe('registry over HTTP', () => {
  it('moves aliases with a reason, keeps the history, and offers no way to rewrite it', async () => {
    const app = await buildServer(t.ws);
    try {
      const admin = { authorization: `Bearer ${t.adminToken}` };
      const moved = await app.inject({ method: 'PUT', url: '/v1/models/support/aliases/champion', headers: admin, payload: { version: 2, reason: 'better on the holdout' } });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json()).toMatchObject({ from_version: 1, to_version: 2, reason: 'better on the holdout', evidence: { metrics: { accuracy: 0.91 } } });
      const history = await app.inject({ url: '/v1/models/support/history', headers: admin });
      const moves = history.json().history as Array<{ seq: number; to_version: number }>;
      expect(moves.map((m) => m.to_version)).toEqual([1, 2]);
      for (const method of ['PUT', 'PATCH', 'DELETE', 'POST'] as const) {
        const res = await app.inject({ method, url: `/v1/models/support/history`, headers: admin, payload: {} });
        expect(res.statusCode, method).toBe(404);
      }
      expect((await app.inject({ url: '/v1/models/support/history', headers: admin })).json().history).toEqual(history.json().history);
      const missing = await app.inject({ method: 'PUT', url: '/v1/models/support/aliases/champion', headers: admin, payload: { version: 5, reason: 'oops' } });
      expect(missing.statusCode).toBe(404);

      await t.ws.auth.createUser(localPrincipal(), 'vic', ['viewer']);
      const viewer = { authorization: `Bearer ${(await t.ws.auth.createToken(localPrincipal(), { user: 'vic' })).token}` };
      expect((await app.inject({ url: '/v1/models/support', headers: viewer })).statusCode).toBe(200);
      const denied = await app.inject({ method: 'PUT', url: '/v1/models/support/aliases/champion', headers: viewer, payload: { version: 1, reason: 'x' } });
      expect(denied.statusCode).toBe(403);
      expect((await app.inject({ url: '/v1/models/support/versions/champion', headers: viewer })).json().version).toBe(2);
    } finally {
      await app.close();
    }
  });
});
