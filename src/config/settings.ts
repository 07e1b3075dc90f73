/**
 * Every mloop setting, declared once: its key in the workspace config file, its environment
 * variable, its type, default and documentation. docs/configuration.md is generated from this table.
 */

/** The value types a setting can hold. */
export type SettingType = 'string' | 'integer' | 'boolean' | 'enum';

/** The declaration of one setting. */
export interface SettingSpec {
  /** Dotted key in the workspace config file `mloop.json`, such as `server.port`. */
  readonly key: string;
  /** Environment variable that overrides the file, such as `MLOOP_PORT`. */
  readonly env: string;
  readonly type: SettingType;
  /** Default value, or `null` when the default is computed (see `defaultDoc`). */
  readonly default: string | number | boolean | null;
  /** How the default is shown in docs when it is computed. */
  readonly defaultDoc?: string;
  /** One or two sentences for docs/configuration.md. */
  readonly doc: string;
  /** Inclusive bounds for integers. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed values for enums. */
  readonly values?: readonly string[];
  /** True when the value may hold credentials and must be redacted when shown. */
  readonly secret?: boolean;
}

export const SETTINGS: readonly SettingSpec[] = Object.freeze([
  {
    key: 'database.url',
    env: 'MLOOP_DATABASE_URL',
    type: 'string',
    default: null,
    defaultDoc: '`sqlite:.mloop/mloop.db` inside the workspace',
    doc: 'Metadata store. `sqlite:<path>` (relative paths are resolved against the workspace) or `postgres://user@host:port/db` for team mode. A PostgreSQL database that does not exist yet is created.',
    secret: true,
  },
  {
    key: 'database.busyTimeoutMs',
    env: 'MLOOP_DATABASE_BUSY_TIMEOUT_MS',
    type: 'integer',
    default: 5000,
    min: 0,
    max: 600000,
    doc: 'SQLite: how long a writer waits for a lock held by another process before failing with UNAVAILABLE.',
  },
  {
    key: 'database.poolSize',
    env: 'MLOOP_DATABASE_POOL_SIZE',
    type: 'integer',
    default: 10,
    min: 1,
    max: 200,
    doc: 'PostgreSQL: maximum connections in the pool of one process.',
  },
  {
    key: 'database.connectTimeoutMs',
    env: 'MLOOP_DATABASE_CONNECT_TIMEOUT_MS',
    type: 'integer',
    default: 5000,
    min: 100,
    max: 600000,
    doc: 'PostgreSQL: how long to wait for a connection before reporting the database unreachable.',
  },
  {
    key: 'artifacts.dir',
    env: 'MLOOP_ARTIFACTS_DIR',
    type: 'string',
    default: null,
    defaultDoc: '`.mloop/artifacts` inside the workspace',
    doc: 'Root folder of the content-addressed artifact store (datasets, model weights, reports). Relative paths are resolved against the workspace.',
  },
  {
    key: 'server.host',
    env: 'MLOOP_HOST',
    type: 'string',
    default: '127.0.0.1',
    doc: 'Address `mloop server` binds. The default accepts connections from this machine only; set `0.0.0.0` to serve a network.',
  },
  {
    key: 'server.port',
    env: 'MLOOP_PORT',
    type: 'integer',
    default: 7070,
    min: 0,
    max: 65535,
    doc: 'TCP port of `mloop server` (0 picks a free port).',
  },
  {
    key: 'server.bodyLimitBytes',
    env: 'MLOOP_BODY_LIMIT_BYTES',
    type: 'integer',
    default: 10485760,
    min: 1024,
    max: 1073741824,
    doc: 'Largest request body the server reads; larger bodies get 413 RESOURCE_EXHAUSTED.',
  },
  {
    key: 'server.requestTimeoutMs',
    env: 'MLOOP_REQUEST_TIMEOUT_MS',
    type: 'integer',
    default: 30000,
    min: 100,
    max: 3600000,
    doc: 'Longest time the server waits for a whole request to arrive.',
  },
  {
    key: 'server.shutdownTimeoutMs',
    env: 'MLOOP_SHUTDOWN_TIMEOUT_MS',
    type: 'integer',
    default: 30000,
    min: 0,
    max: 3600000,
    doc: 'On SIGTERM/SIGINT the server stops accepting connections and lets in-flight requests finish; after this long it closes the rest.',
  },
  {
    key: 'server.trustProxy',
    env: 'MLOOP_TRUST_PROXY',
    type: 'boolean',
    default: false,
    doc: 'Trust `X-Forwarded-*` headers (set when mloop runs behind a reverse proxy).',
  },
  {
    key: 'server.fastPredict',
    env: 'MLOOP_SERVER_FAST_PREDICT',
    type: 'boolean',
    default: true,
    doc: "Answer `POST /v1/models/{name}:predict` straight from Node's request event, without Fastify's routing and hooks, when the request is the usual one: a JSON body and a bearer token this server verified within `server.authCacheMs` that may predict with the deployment. The answers, errors, limits and metrics are the route's own; every other request (no or unknown token, another media type, a query string, shutdown) goes through Fastify. Off sends every request through Fastify.",
  },
  {
    key: 'server.semiSpaceMb',
    env: 'MLOOP_SERVER_SEMI_SPACE_MB',
    type: 'integer',
    default: 64,
    min: 0,
    max: 1024,
    doc: "Size in MiB of each of V8's two young-generation semi-spaces in `mloop server`'s process (Node's `--max-semi-space-size`; its default is 16). A server's requests leave short-lived garbage: bigger semi-spaces mean fewer young-generation collections, and at 64 a logged prediction costs about a tenth less CPU (bench/RESULTS.md, Serving, session 8), for up to ~100 MiB more memory. V8 reads the size only when a process starts, so `mloop server` starts itself again with it (one child process; signals are passed on) unless the flag is already given on Node's command line or in `NODE_OPTIONS`. 0 keeps Node's default in a single process.",
  },
  {
    key: 'server.authCacheMs',
    env: 'MLOOP_AUTH_CACHE_MS',
    type: 'integer',
    default: 2000,
    min: 0,
    max: 60000,
    doc: "How long a server trusts a verified token before checking the store again (never past the token's expiry; at most 10,000 tokens, kept in memory only). Revocations made through the same server apply at once, also to a check already under way; those made elsewhere (CLI, another server) within this time. 0 checks every request.",
  },
  {
    key: 'jobs.leaseMs',
    env: 'MLOOP_JOBS_LEASE_MS',
    type: 'integer',
    default: 30000,
    min: 100,
    max: 3600000,
    doc: 'How long a worker holds a job without a heartbeat (it heartbeats every third of this). A worker silent for longer loses the job to another; its late result is discarded.',
  },
  {
    key: 'jobs.pollMs',
    env: 'MLOOP_JOBS_POLL_MS',
    type: 'integer',
    default: 1000,
    min: 10,
    max: 600000,
    doc: 'How often an idle worker looks for ready jobs.',
  },
  {
    key: 'jobs.concurrency',
    env: 'MLOOP_JOBS_CONCURRENCY',
    type: 'integer',
    default: 1,
    min: 1,
    max: 64,
    doc: 'Jobs one worker (`mloop worker`, or the runner inside `mloop server`) runs at once.',
  },
  {
    key: 'jobs.maxAttempts',
    env: 'MLOOP_JOBS_MAX_ATTEMPTS',
    type: 'integer',
    default: 3,
    min: 1,
    max: 100,
    doc: 'Attempts a new job gets before it is dead (dead-lettered), unless it is enqueued with its own.',
  },
  {
    key: 'jobs.backoffMs',
    env: 'MLOOP_JOBS_BACKOFF_MS',
    type: 'integer',
    default: 10000,
    min: 0,
    max: 3600000,
    doc: 'Base of the exponential backoff: attempt n+1 waits backoffMs·2^(n−1) after attempt n failed (at most an hour).',
  },
  {
    key: 'jobs.scheduleIntervalMs',
    env: 'MLOOP_JOBS_SCHEDULE_INTERVAL_MS',
    type: 'integer',
    default: 30000,
    min: 100,
    max: 3600000,
    doc: 'How often workers and servers check cron schedules for a due slot. Every slot enqueues exactly one job however many check.',
  },
  {
    key: 'jobs.serverWorker',
    env: 'MLOOP_JOBS_SERVER_WORKER',
    type: 'boolean',
    default: true,
    doc: 'Run a job worker and the scheduler inside `mloop server` (embedded mode). Turn off when separate `mloop worker` processes take the jobs.',
  },
  {
    key: 'monitoring.allowPrivateWebhooks',
    env: 'MLOOP_MONITORING_ALLOW_PRIVATE_WEBHOOKS',
    type: 'boolean',
    default: false,
    doc: 'Deliver monitoring alerts to webhooks on private, loopback and link-local addresses. Off by default: every address a webhook host resolves to must be public (a guard against server-side request forgery).',
  },
  {
    key: 'monitoring.warmRows',
    env: 'MLOOP_MONITORING_WARM_ROWS',
    type: 'integer',
    default: 20000,
    min: 0,
    max: 1000000000,
    doc: 'Prediction-log rows the server may read in all, once listening, to compute the monitoring reports the dashboard shows (a report reads its model\'s whole log, about 0.1–0.2 ms of CPU a row). Models whose log would take the walk past it get their report on their first dashboard visit instead; 0 computes none in advance.',
  },
  {
    key: 'serving.pollIntervalMs',
    env: 'MLOOP_SERVING_POLL_MS',
    type: 'integer',
    default: 2000,
    min: 100,
    max: 600000,
    doc: 'How often a server re-reads deployments and aliases, so an alias move reaches every server without a restart.',
  },
  {
    key: 'serving.maxRowsPerRequest',
    env: 'MLOOP_SERVING_MAX_ROWS',
    type: 'integer',
    default: 1000,
    min: 1,
    max: 1000000,
    doc: 'Most rows (instances) in one prediction request; more gets RESOURCE_EXHAUSTED.',
  },
  {
    key: 'serving.maxInflight',
    env: 'MLOOP_SERVING_MAX_INFLIGHT',
    type: 'integer',
    default: 256,
    min: 1,
    max: 100000,
    doc: 'Most prediction requests admitted at once; beyond it the server answers 503 with Retry-After at once instead of slowing everyone down.',
  },
  {
    key: 'serving.requestTimeoutMs',
    env: 'MLOOP_SERVING_TIMEOUT_MS',
    type: 'integer',
    default: 2000,
    min: 10,
    max: 600000,
    doc: 'Longest a prediction request may wait and run before it fails with 503.',
  },
  {
    key: 'serving.logPredictions',
    env: 'MLOOP_SERVING_LOG_PREDICTIONS',
    type: 'boolean',
    default: true,
    doc: 'Log every prediction (inputs redacted when the training data was) for monitoring and review.',
  },
  {
    key: 'registry.signingKey',
    env: 'MLOOP_REGISTRY_SIGNING_KEY',
    type: 'string',
    default: null,
    defaultDoc: 'none: bundles downloaded over HTTP are unsigned',
    doc: 'Path of an Ed25519 private key (PEM, made by `mloop models keygen`; relative paths are resolved against the workspace). When set, every bundle downloaded over HTTP is signed with it. Read when the server starts.',
  },
  {
    key: 'registry.trustedKeys',
    env: 'MLOOP_REGISTRY_TRUSTED_KEYS',
    type: 'string',
    default: null,
    defaultDoc: 'none',
    doc: 'Comma-separated paths of trusted Ed25519 public keys (PEM). A signed bundle uploaded over HTTP must verify against one of them. Read when the server starts.',
  },
  {
    key: 'registry.requireSignature',
    env: 'MLOOP_REGISTRY_REQUIRE_SIGNATURE',
    type: 'boolean',
    default: false,
    doc: 'Refuse bundles uploaded over HTTP unless they carry a valid signature from a key in `registry.trustedKeys`, and every ONNX upload (an ONNX file carries no signature: bring such a model in as a signed bundle).',
  },
  {
    key: 'log.level',
    env: 'MLOOP_LOG_LEVEL',
    type: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    doc: 'Level of the server\'s JSON log lines (pino).',
  },
  {
    key: 'log.predictionRequests',
    env: 'MLOOP_LOG_PREDICTION_REQUESTS',
    type: 'boolean',
    default: false,
    doc: 'Write the two request lines (received, completed) of every prediction request (`/v1/models/{name}:predict`, `/v2/models/{name}/infer`) at info level, as for other routes. Off by default: each prediction is in the prediction log and the metrics already, and the two lines cost about a fifth of a prediction\'s CPU; their warnings and errors are always written.',
  },
] satisfies SettingSpec[]);
