import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import { SETTINGS, loadConfig, locateWorkspace, redactUrl, renderConfigurationDoc } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mloop-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function issuesOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MloopError);
    expect((err as MloopError).code).toBe('INVALID_ARGUMENT');
    return ((err as MloopError).details?.['issues'] as Array<{ path: string; message: string }>) ?? [];
  }
  throw new Error('expected an error');
}

describe('loadConfig', () => {
  it('gives frozen defaults with absolute paths inside the workspace', () => {
    const { config, sources } = loadConfig({ workspace: dir, env: {} });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 7070 });
    expect(config.database.url).toBe(`sqlite:${join(dir, '.mloop', 'mloop.db')}`);
    expect(config.artifacts.dir).toBe(join(dir, '.mloop', 'artifacts'));
    expect(sources['server.port']).toBe('default');
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow();
  });

  it('layers file < env < overrides', () => {
    writeFileSync(join(dir, 'mloop.json'), JSON.stringify({ server: { port: 9000, host: '0.0.0.0' }, log: { level: 'debug' } }));
    const { config, sources } = loadConfig({ workspace: dir, env: { MLOOP_PORT: '9100', MLOOP_TRUST_PROXY: 'yes' }, overrides: { 'server.port': 9200 } });
    expect(config.server.port).toBe(9200);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.trustProxy).toBe(true);
    expect(config.log.level).toBe('debug');
    expect(sources).toMatchObject({ 'server.port': 'override', 'server.host': 'file', 'server.trustProxy': 'env' });
  });

  it('reads the serving limits', () => {
    const { config } = loadConfig({ workspace: dir, env: { MLOOP_SERVING_MAX_INFLIGHT: '16', MLOOP_SERVING_LOG_PREDICTIONS: 'off' } });
    expect(config.serving).toMatchObject({ maxInflight: 16, logPredictions: false, maxRowsPerRequest: 1000, requestTimeoutMs: 2000 });
    expect(issuesOf(() => loadConfig({ workspace: dir, env: { MLOOP_SERVING_MAX_INFLIGHT: '0' } }))[0]!.path).toBe('serving.maxInflight');
  });

  it('reads monitoring.warmRows from the file and the environment, and refuses a negative bound', () => {
    expect(loadConfig({ workspace: dir, env: {} }).config.monitoring.warmRows).toBe(20_000);
    writeFileSync(join(dir, 'mloop.json'), JSON.stringify({ monitoring: { warmRows: 500 } }));
    expect(loadConfig({ workspace: dir, env: {} }).config.monitoring.warmRows).toBe(500);
    const fromEnv = loadConfig({ workspace: dir, env: { MLOOP_MONITORING_WARM_ROWS: '0' } });
    expect([fromEnv.config.monitoring.warmRows, fromEnv.sources['monitoring.warmRows']]).toEqual([0, 'env']);
    expect(issuesOf(() => loadConfig({ workspace: dir, env: { MLOOP_MONITORING_WARM_ROWS: '-1' } }))[0]!.path).toBe('monitoring.warmRows');
  });

  it('resolves relative sqlite and artifact paths against the workspace', () => {
    const { config } = loadConfig({ workspace: dir, env: { MLOOP_DATABASE_URL: 'sqlite:data/m.db', MLOOP_ARTIFACTS_DIR: 'blobs' } });
    expect(config.database.url).toBe(`sqlite:${join(dir, 'data', 'm.db')}`);
    expect(config.artifacts.dir).toBe(join(dir, 'blobs'));
  });

  it('names every bad setting at once', () => {
    writeFileSync(join(dir, 'mloop.json'), JSON.stringify({ server: { port: 'x', hots: 'a' }, nonsense: 1 }));
    const issues = issuesOf(() => loadConfig({ workspace: dir, env: { MLOOP_LOG_LEVEL: 'loud', MLOOP_BODY_LIMIT_BYTES: '12' } }));
    expect(issues.map((i) => i.path).sort()).toEqual(['log.level', 'nonsense', 'server.bodyLimitBytes', 'server.hots', 'server.port']);
    expect(issues.find((i) => i.path === 'log.level')!.message).toContain('MLOOP_LOG_LEVEL');
    expect(issues.find((i) => i.path === 'server.bodyLimitBytes')!.message).toContain('at least 1024');
  });

  it('reports a malformed config file with its path', () => {
    writeFileSync(join(dir, 'mloop.json'), '{"server": ');
    expect(() => loadConfig({ workspace: dir, env: {} })).toThrow(/mloop.json is not valid JSON/);
    writeFileSync(join(dir, 'mloop.json'), '[1,2]');
    expect(() => loadConfig({ workspace: dir, env: {} })).toThrow(/must hold a JSON object/);
  });
});

describe('locateWorkspace', () => {
  it('finds the nearest workspace upwards, honours explicit folders, and explains a miss', () => {
    writeFileSync(join(dir, 'mloop.json'), '{}');
    const nested = join(dir, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    expect(locateWorkspace({ cwd: nested, env: {} })).toBe(dir);
    expect(locateWorkspace({ explicit: dir, env: {} })).toBe(dir);
    expect(locateWorkspace({ cwd: '/', env: { MLOOP_WORKSPACE: dir } })).toBe(dir);
    expect(() => locateWorkspace({ explicit: nested, env: {} })).toThrow(/not found/);
    expect(() => locateWorkspace({ cwd: tmpdir(), env: {} })).toThrow(/no mloop workspace/);
  });
});

describe('docs', () => {
  it('docs/configuration.md is generated from the settings table and up to date', () => {
    const file = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(file).toBe(renderConfigurationDoc());
    for (const s of SETTINGS) expect(file).toContain(s.env);
  });

  it('redacts passwords in URLs', () => {
    expect(redactUrl('postgres://u:pw@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
  });
});
