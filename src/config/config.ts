/** Loading the typed, frozen configuration from defaults, the workspace file and the environment. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { MloopError, type ValidationIssue } from '../errors/index.js';
import { SETTINGS, type SettingSpec } from './settings.js';

/** The parsed configuration. Frozen; paths are absolute. */
export interface MloopConfig {
  readonly workspace: string;
  readonly database: {
    readonly url: string;
    readonly busyTimeoutMs: number;
    readonly poolSize: number;
    readonly connectTimeoutMs: number;
  };
  readonly artifacts: { readonly dir: string };
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly requestTimeoutMs: number;
    readonly shutdownTimeoutMs: number;
    readonly trustProxy: boolean;
    readonly authCacheMs: number;
    readonly fastPredict: boolean;
    readonly semiSpaceMb: number;
  };
  readonly jobs: {
    readonly leaseMs: number;
    readonly pollMs: number;
    readonly concurrency: number;
    readonly maxAttempts: number;
    readonly backoffMs: number;
    readonly scheduleIntervalMs: number;
    readonly serverWorker: boolean;
  };
  readonly monitoring: {
    readonly allowPrivateWebhooks: boolean;
    /** Log rows the server's start-up monitoring reports may read in all. */
    readonly warmRows: number;
  };
  readonly serving: {
    readonly pollIntervalMs: number;
    readonly maxRowsPerRequest: number;
    readonly maxInflight: number;
    readonly requestTimeoutMs: number;
    readonly logPredictions: boolean;
  };
  readonly registry: {
    /** Absolute path of the signing key, or null. */
    readonly signingKey: string | null;
    /** Absolute paths of trusted public keys (empty when none). */
    readonly trustedKeys: readonly string[];
    readonly requireSignature: boolean;
  };
  readonly log: { readonly level: string; readonly predictionRequests: boolean };
}

/** File name of the workspace config file, at the workspace root. */
export const CONFIG_FILE = 'mloop.json';
/** Folder inside the workspace that holds mloop's own data. */
export const DATA_DIR = '.mloop';

/** Where a value came from, for `mloop status`. */
export type SettingSource = 'default' | 'file' | 'env' | 'override';

export interface LoadConfigOptions {
  /** Absolute path of the workspace root. */
  workspace: string;
  /** Environment to read `MLOOP_*` variables from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Values that win over everything, such as CLI flags, by dotted key. */
  overrides?: Record<string, string | number | boolean | undefined>;
  /** Skip reading the config file (used by `mloop init` before it exists). */
  skipFile?: boolean;
}

export interface LoadedConfig {
  config: MloopConfig;
  sources: Record<string, SettingSource>;
}

function parseValue(spec: SettingSpec, raw: unknown, origin: string): { value?: unknown; issue?: ValidationIssue } {
  const bad = (message: string): { issue: ValidationIssue } => ({
    issue: { path: spec.key, code: 'invalid_value', message: `${origin}: ${message}` },
  });
  switch (spec.type) {
    case 'string': {
      if (typeof raw !== 'string' || raw.trim() === '') return bad('expected a non-empty string');
      return { value: raw.trim() };
    }
    case 'integer': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) n = Number(raw.trim());
      else return bad(`expected an integer, got ${JSON.stringify(raw)}`);
      if (!Number.isSafeInteger(n)) return bad(`expected an integer, got ${JSON.stringify(raw)}`);
      if (spec.min !== undefined && n < spec.min) return bad(`must be at least ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) return bad(`must be at most ${spec.max}, got ${n}`);
      return { value: n };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      if (typeof raw === 'string') {
        const s = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(s)) return { value: true };
        if (['0', 'false', 'no', 'off'].includes(s)) return { value: false };
      }
      return bad(`expected true or false, got ${JSON.stringify(raw)}`);
    }
    case 'enum': {
      const values = spec.values ?? [];
      if (typeof raw === 'string' && values.includes(raw.trim())) return { value: raw.trim() };
      return bad(`expected one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    }
  }
}

function getPath(obj: Record<string, unknown>, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    cur[part] ??= {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}

/** Lists keys of a parsed config file that are not settings, so typos are caught. */
function unknownKeys(file: Record<string, unknown>, prefix = ''): string[] {
  const known = new Set(SETTINGS.map((s) => s.key));
  const sections = new Set(SETTINGS.map((s) => s.key.split('.')[0]));
  const out: string[] = [];
  for (const [k, v] of Object.entries(file)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (known.has(key)) continue;
    if (!prefix && sections.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out.push(...unknownKeys(v as Record<string, unknown>, key));
    } else if (k !== '$schema') {
      out.push(key);
    }
  }
  return out;
}

/** Reads and parses the workspace config file; a missing file is an empty config. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw MloopError.invalidArgument(`cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw MloopError.invalidArgument(`config file ${path} is not valid JSON: ${(err as Error).message}`, {
      hint: 'fix the file, or delete it to use the defaults',
      details: { file: path },
      cause: err,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw MloopError.invalidArgument(`config file ${path} must hold a JSON object`, { details: { file: path } });
  }
  return parsed as Record<string, unknown>;
}

/**
 * Loads the configuration: defaults, then `mloop.json`, then `MLOOP_*` variables, then overrides.
 * Throws INVALID_ARGUMENT naming every bad setting at once.
 *
 * @example
 * const { config } = loadConfig({ workspace: '/srv/ws' });
 */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const env = options.env ?? process.env;
  const workspace = resolve(options.workspace);
  const filePath = resolve(workspace, CONFIG_FILE);
  const file = options.skipFile ? {} : readConfigFile(filePath);
  const issues: ValidationIssue[] = unknownKeys(file).map((key) => ({
    path: key,
    code: 'unknown_setting',
    message: `${CONFIG_FILE}: unknown setting '${key}'`,
  }));
  const values: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  for (const spec of SETTINGS) {
    let raw: unknown = spec.default;
    let source: SettingSource = 'default';
    let origin = 'default';
    const fromFile = getPath(file, spec.key);
    if (fromFile !== undefined) [raw, source, origin] = [fromFile, 'file', `${CONFIG_FILE} ${spec.key}`];
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') [raw, source, origin] = [fromEnv, 'env', spec.env];
    const fromOverride = options.overrides?.[spec.key];
    if (fromOverride !== undefined) [raw, source, origin] = [fromOverride, 'override', `--${spec.key}`];
    sources[spec.key] = source;
    if (raw === null) {
      setPath(values, spec.key, null);
      continue;
    }
    const parsed = parseValue(spec, raw, origin);
    if (parsed.issue) issues.push(parsed.issue);
    else setPath(values, spec.key, parsed.value);
  }
  if (issues.length > 0) {
    throw MloopError.validation(
      issues.length === 1 ? `invalid setting ${issues[0]!.message}` : `${issues.length} invalid settings`,
      issues,
      { hint: 'docs/configuration.md lists every setting with its type and default' },
    );
  }
  const database = values['database'] as Record<string, unknown>;
  database['url'] = resolveDatabaseUrl(workspace, database['url'] as string | null);
  const artifacts = values['artifacts'] as Record<string, unknown>;
  const dir = artifacts['dir'] as string | null;
  artifacts['dir'] = dir === null ? resolve(workspace, DATA_DIR, 'artifacts') : resolve(workspace, dir);
  const registry = values['registry'] as Record<string, unknown>;
  const signingKey = registry['signingKey'] as string | null;
  registry['signingKey'] = signingKey === null ? null : resolve(workspace, signingKey);
  const trusted = registry['trustedKeys'] as string | null;
  registry['trustedKeys'] = trusted === null ? [] : trusted.split(',').map((p) => p.trim()).filter((p) => p !== '').map((p) => resolve(workspace, p));
  values['workspace'] = workspace;
  return { config: deepFreeze(values as unknown as MloopConfig), sources };
}

function resolveDatabaseUrl(workspace: string, url: string | null): string {
  if (url === null) return `sqlite:${resolve(workspace, DATA_DIR, 'mloop.db')}`;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === ':memory:') return url;
    return `sqlite:${isAbsolute(path) ? path : resolve(workspace, path)}`;
  }
  return url;
}

/** Hides credentials in a database URL before it is shown or logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
  }
}
