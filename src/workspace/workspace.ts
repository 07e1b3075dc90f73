/**
 * The composition root: a workspace opens its config, metadata store, artifact store and the
 * concepts' services. The CLI and the server both start here.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openArtifactStore, type ArtifactStore } from '../artifacts/index.js';
import { AuthService, SqlAuthStore, type CreatedToken } from '../auth/index.js';
import { DatasetService, SqlDatasetStore } from '../datasets/index.js';
// Types only: the services below datasets load when a full workspace opens (see openAt).
import type { JobService } from '../jobs/index.js';
import type { LabelingService } from '../labeling/index.js';
import type { MonitoringService } from '../monitoring/index.js';
import type { RegistryService } from '../registry/index.js';
import type { RetrainingService } from '../retraining/index.js';
import type { ServingService } from '../serving/index.js';
import { CONFIG_FILE, DATA_DIR, isWorkspace, loadConfig, locateWorkspace, type MloopConfig, type SettingSource } from '../config/index.js';
import { MloopError } from '../errors/index.js';
import { migrate, openBackend, type SchemaVersion, type StorageBackend } from '../storage/index.js';
import { MLOOP_VERSION } from '../config/index.js';

/** An open workspace. Close it when done. */
export interface Workspace {
  readonly root: string;
  readonly config: MloopConfig;
  readonly sources: Readonly<Record<string, SettingSource>>;
  readonly backend: StorageBackend;
  readonly schema: SchemaVersion;
  readonly artifacts: ArtifactStore;
  readonly auth: AuthService;
  /** Dataset import, versions, provenance, validation and profiles. */
  readonly datasets: DatasetService;
  readonly registry: RegistryService;
  /** Labeling projects, the assignment queue, consensus, agreement and export. */
  readonly labeling: LabelingService;
  /** Deployments, review queue, ground truth and (in `mloop server`) the serving runtime. */
  readonly serving: ServingService;
  /** Monitoring reports over the prediction log, alert rules, alert history and delivery. */
  readonly monitoring: MonitoringService;
  /** Durable jobs, job types, workers and cron schedules. */
  readonly jobs: JobService;
  /** Retraining policies, runs (the `retrain` job), approvals and rollback. */
  readonly retraining: RetrainingService;
  close(): Promise<void>;
}

export interface OpenWorkspaceOptions {
  /** `--workspace` flag; falls back to `MLOOP_WORKSPACE`, then discovery from `cwd`. */
  workspace?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Setting overrides by dotted key (CLI flags). */
  overrides?: Record<string, string | number | boolean | undefined>;
  clock?: () => Date;
}

/** A workspace with only its dataset service: what `mloop data` needs (see openDatasetWorkspace). */
export type DatasetWorkspace = Pick<Workspace, 'root' | 'config' | 'sources' | 'backend' | 'schema' | 'artifacts' | 'datasets' | 'close'>;

async function openDatasetsAt(root: string, options: OpenWorkspaceOptions, skipFile = false): Promise<DatasetWorkspace> {
  const { config, sources } = loadConfig({
    workspace: root,
    ...(options.env ? { env: options.env } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    skipFile,
  });
  const backend = await openBackend(config.database.url, {
    busyTimeoutMs: config.database.busyTimeoutMs,
    poolSize: config.database.poolSize,
    connectTimeoutMs: config.database.connectTimeoutMs,
  });
  try {
    const schema = await migrate(backend);
    mkdirSync(config.artifacts.dir, { recursive: true });
    const artifacts = openArtifactStore(config.artifacts.dir);
    const datasets = new DatasetService(new SqlDatasetStore(backend.db), artifacts, {
      tempDir: join(root, DATA_DIR, 'tmp', 'datasets'),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    return { root, config, sources, backend, schema, artifacts, datasets, close: () => backend.close() };
  } catch (err) {
    await backend.close();
    throw err;
  }
}

async function openAt(root: string, options: OpenWorkspaceOptions, skipFile = false): Promise<Workspace> {
  const core = await openDatasetsAt(root, options, skipFile);
  const { config, backend, datasets, artifacts } = core;
  try {
    // Loaded here rather than at start-up: together they cost about as much CPU as a small import.
    const [{ JobService, SqlJobStore, builtInHandlers }, { LabelingService, SqlLabelingStore }, { MonitoringService, SqlMonitoringStore }, { RegistryService, SqlRegistryStore }, { RetrainingService, SqlRetrainingStore, retrainingHandlers }, { ServingService, SqlServingStore, openPredictionLogStore }, { loadModel }] =
      await Promise.all([
        import('../jobs/index.js'),
        import('../labeling/index.js'),
        import('../monitoring/index.js'),
        import('../registry/index.js'),
        import('../retraining/index.js'),
        import('../serving/index.js'),
        import('../training/index.js'),
      ]);
    const auth = new AuthService(new SqlAuthStore(backend.db), {
      cacheTtlMs: config.server.authCacheMs,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const registry = new RegistryService(new SqlRegistryStore(backend.db), artifacts, options.clock ? { clock: options.clock } : {});
    const labeling = new LabelingService(new SqlLabelingStore(backend.db, backend.capabilities), datasets, {
      tempDir: join(root, DATA_DIR, 'tmp', 'datasets'),
      loadModel: async (ref) => loadModel(registry, await registry.resolve(ref)),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const serving = new ServingService(new SqlServingStore(backend.db), registry, datasets, loadModel, {
      ...(options.clock ? { clock: options.clock } : {}),
      // The prediction log writes through a connection of its own that never waits for locks (in a worker thread when built).
      openLogStore: () => openPredictionLogStore({ url: config.database.url, connectTimeoutMs: config.database.connectTimeoutMs }),
    });
    const jobs = new JobService(
      new SqlJobStore(backend.db, backend.capabilities),
      builtInHandlers({ datasets, registry }),
      { maxAttempts: config.jobs.maxAttempts, backoffMs: config.jobs.backoffMs },
      options.clock ? { clock: options.clock } : {},
    );
    const monitoring = new MonitoringService(new SqlMonitoringStore(backend.db), registry, datasets, serving, {
      allowPrivateWebhooks: config.monitoring.allowPrivateWebhooks,
      ...(options.clock ? { clock: options.clock } : {}),
      audit: (e) => auth.recordAudit(e),
    });
    const retraining = new RetrainingService(new SqlRetrainingStore(backend.db), { datasets, registry, serving, jobs, monitoring, labeling }, {
      ...(options.clock ? { clock: options.clock } : {}),
      audit: (e) => auth.recordAudit(e),
    });
    for (const h of retrainingHandlers(retraining)) jobs.register(h);
    return {
      ...core,
      auth,
      datasets,
      registry,
      labeling,
      serving,
      jobs,
      monitoring,
      retraining,
      close: async () => {
        await serving.close();
        await backend.close();
      },
    };
  } catch (err) {
    await backend.close();
    throw err;
  }
}

/**
 * Opens only the dataset service of the workspace found from the options, migrating its store; the
 * other services' modules are not loaded.
 *
 * @example
 * const ws = await openDatasetWorkspace({ workspace: './ws' });
 * try { console.log(await ws.datasets.list()); } finally { await ws.close(); }
 */
export async function openDatasetWorkspace(options: OpenWorkspaceOptions = {}): Promise<DatasetWorkspace> {
  const root = locateWorkspace({
    explicit: options.workspace,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  return openDatasetsAt(root, options);
}

/**
 * Opens the workspace found from the options (see `locateWorkspace`), migrating its store.
 *
 * @example
 * const ws = await openWorkspace({ workspace: './ws' });
 * try { console.log(ws.schema.version); } finally { await ws.close(); }
 */
export async function openWorkspace(options: OpenWorkspaceOptions = {}): Promise<Workspace> {
  const root = locateWorkspace({
    explicit: options.workspace,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  return openAt(root, options);
}

export interface InitResult {
  workspace: string;
  backend: string;
  database: string;
  schema: SchemaVersion;
  /** The first admin and their token (shown once), or null when the store had users already. */
  admin: { user: string; token: string; tokenId: string } | null;
}

/**
 * Creates a workspace in `dir`: its config file, metadata store (migrated), artifact folder,
 * and the first admin user with a token. On failure nothing it created is left behind.
 */
export async function initWorkspace(
  dir: string,
  options: OpenWorkspaceOptions & { databaseUrl?: string; adminName?: string } = {},
): Promise<InitResult> {
  const root = resolve(options.cwd ?? process.cwd(), dir);
  if (isWorkspace(root)) throw MloopError.alreadyExists('workspace', root, { hint: "use 'mloop status' to inspect it" });
  const existed = existsSync(root);
  if (existed && readdirSync(root).includes(DATA_DIR)) {
    throw MloopError.failedPrecondition(`${root} holds a ${DATA_DIR} folder but no ${CONFIG_FILE}; move it away first`);
  }
  const fileConfig: Record<string, unknown> = {};
  if (options.databaseUrl !== undefined) fileConfig['database'] = { url: options.databaseUrl };
  let ws: Workspace | undefined;
  try {
    mkdirSync(join(root, DATA_DIR), { recursive: true });
    writeFileSync(join(root, DATA_DIR, '.gitignore'), '*\n');
    ws = await openAt(root, { ...options, overrides: { ...options.overrides, 'database.url': options.databaseUrl } }, true);
    let admin: InitResult['admin'] = null;
    if ((await ws.auth.listUsers(adminOf())).length === 0) {
      const created: CreatedToken = await ws.auth.bootstrapAdmin(options.adminName ?? 'admin');
      admin = { user: created.info.userName, token: created.token, tokenId: created.info.id };
    }
    // The config file is written last: until it exists, the folder is not a workspace.
    writeFileSync(join(root, CONFIG_FILE), `${JSON.stringify(fileConfig, null, 2)}\n`, { flag: 'wx' });
    return { workspace: root, backend: ws.backend.name, database: ws.backend.location, schema: ws.schema, admin };
  } catch (err) {
    await ws?.close();
    ws = undefined;
    if (existed) rmSync(join(root, DATA_DIR), { recursive: true, force: true });
    else rmSync(root, { recursive: true, force: true });
    throw err;
  } finally {
    await ws?.close();
  }
}

function adminOf() {
  return { userId: 'system', userName: 'system', grants: [{ role: 'admin' as const, scope: '*', grantedAt: '', grantedBy: 'system' }] };
}

/** What `mloop status` and `GET /v1/status` report. */
export interface WorkspaceStatus {
  mloop_version: string;
  workspace: string;
  backend: string;
  database: string;
  capabilities: Record<string, unknown>;
  schema: { version: number; latest: string | null; known: number; migrations: SchemaVersion['migrations'] };
  artifacts: { kind: string; location: string; blobs: number; bytes: number };
  users: number;
  active_tokens: number;
  /** Jobs by state (queued, running, succeeded, failed, cancelled, dead). */
  jobs: Record<string, number>;
  server: { host: string; port: number };
}

/** Gathers the workspace's status. */
export async function workspaceStatus(ws: Workspace): Promise<WorkspaceStatus> {
  await ws.backend.ping();
  const people = await ws.auth.summary();
  const usage = await ws.artifacts.usage();
  return {
    mloop_version: MLOOP_VERSION,
    workspace: ws.root,
    backend: ws.backend.name,
    database: ws.backend.location,
    capabilities: { ...ws.backend.capabilities },
    schema: { version: ws.schema.version, latest: ws.schema.latest, known: ws.schema.known, migrations: ws.schema.migrations },
    artifacts: { kind: ws.artifacts.kind, location: ws.artifacts.location, blobs: usage.blobs, bytes: usage.bytes },
    users: people.users,
    active_tokens: people.activeTokens,
    jobs: await ws.jobs.counts(),
    server: { host: ws.config.server.host, port: ws.config.server.port },
  };
}
