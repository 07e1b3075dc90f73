/** The registry's rules over a {@link RegistryStore} and the artifact store. */
import type { ArtifactStore } from '../artifacts/index.js';
import { MloopError } from '../errors/index.js';
import {
  TASKS,
  checkAlias,
  checkModelName,
  formatModelRef,
  parseModelRef,
  type AliasMove,
  type ArtifactRef,
  type Model,
  type ModelDescription,
  type ModelVersion,
  type SavedEvaluation,
  type Task,
  type VersionRecord,
} from './registry.js';
import type { RegistryStore } from './registry-store.js';
import { readBundle, writeBundle, type BundleLimits } from './bundle.js';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { keyId } from './bundle.js';

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A file to store with a new version: data only, never code. */
export interface VersionFile {
  name: string;
  data: Uint8Array | string;
  mediaType?: 'application/json' | 'application/octet-stream';
}

export interface RegisterVersionInput {
  model: string;
  task: Task;
  runKey?: string;
  record: VersionRecord;
  files: VersionFile[];
  tags?: Record<string, string>;
  notes?: string;
  description?: ModelDescription;
}

export class RegistryService {
  private readonly clock: () => Date;
  constructor(
    private readonly store: RegistryStore,
    private readonly artifacts: ArtifactStore,
    options: { clock?: () => Date } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Stores the version's files (content-addressed) and records the version. Files are written
   * first: a crash leaves at most unreferenced blobs, never a version without its files.
   *
   * @example
   * const { version } = await registry.registerVersion('alice', { model: 'support', task: 'text-classification', record, files });
   */
  async registerVersion(actor: string, input: RegisterVersionInput): Promise<{ version: ModelVersion; created: boolean }> {
    checkModelName(input.model);
    if (!TASKS.includes(input.task)) throw MloopError.invalidArgument(`unknown task '${input.task}'; valid tasks: ${TASKS.join(', ')}`);
    const names = new Set<string>();
    const refs: ArtifactRef[] = [];
    for (const f of input.files) {
      if (!FILE_NAME.test(f.name)) throw MloopError.invalidArgument(`invalid artifact name '${f.name}'`);
      if (names.has(f.name)) throw MloopError.invalidArgument(`artifact '${f.name}' is listed twice`);
      names.add(f.name);
      const blob = await this.artifacts.put(f.data);
      refs.push({ name: f.name, sha256: blob.sha256, size: blob.size, mediaType: f.mediaType ?? (typeof f.data === 'string' ? 'application/json' : 'application/octet-stream') });
    }
    return this.store.createVersion({
      model: input.model,
      task: input.task,
      ...(input.runKey === undefined ? {} : { runKey: input.runKey }),
      record: input.record,
      artifacts: refs,
      ...(input.tags === undefined ? {} : { tags: input.tags }),
      ...(input.notes === undefined ? {} : { notes: input.notes }),
      ...(input.description === undefined ? {} : { description: input.description }),
      createdAt: this.clock().toISOString(),
      createdBy: actor,
    });
  }

  /**
   * Registers a new version of `source`'s model with the same files (no copy: they are
   * content-addressed) and a new record, e.g. the same weights with a decision rule added.
   * Versions are immutable: this is how a version "changes". A repeated `runKey` returns the
   * version it made the first time (`created: false`).
   */
  deriveVersion(
    actor: string,
    source: ModelVersion,
    input: { record: VersionRecord; runKey?: string; tags?: Record<string, string>; notes?: string },
  ): Promise<{ version: ModelVersion; created: boolean }> {
    return this.store.createVersion({
      model: source.model,
      task: source.task,
      ...(input.runKey === undefined ? {} : { runKey: input.runKey }),
      record: input.record,
      artifacts: source.artifacts.map((a) => ({ ...a })),
      tags: { ...source.tags, ...input.tags },
      ...(input.notes === undefined ? {} : { notes: input.notes }),
      createdAt: this.clock().toISOString(),
      createdBy: actor,
    });
  }

  async getModel(name: string): Promise<Model> {
    const model = await this.store.getModel(checkModelName(name));
    if (!model) throw MloopError.notFound('model', name, { hint: "'mloop models list' shows the models" });
    return model;
  }

  listModels(): Promise<Model[]> {
    return this.store.listModels();
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    await this.getModel(name);
    return this.store.listVersions(name);
  }

  /** Resolves `name` (latest), `name@N` or `name@alias` to a version. */
  async resolve(ref: string): Promise<ModelVersion> {
    const parsed = parseModelRef(ref);
    const model = await this.getModel(parsed.name);
    let version = parsed.version ?? model.latestVersion;
    if (parsed.alias !== undefined) {
      const v = model.aliases[parsed.alias];
      if (v === undefined) {
        const known = Object.keys(model.aliases);
        throw MloopError.notFound('alias', ref, { hint: known.length ? `aliases of '${parsed.name}': ${known.join(', ')}` : `'${parsed.name}' has no aliases yet` });
      }
      version = v;
    }
    const found = await this.store.getVersion(parsed.name, version);
    if (!found) throw MloopError.notFound('model version', formatModelRef(parsed.name, version), { hint: `'${parsed.name}' has versions 1 to ${model.latestVersion}` });
    return found;
  }

  /** Moves `alias` to `version` with a reason, recording who, when, from what and the evidence. */
  async setAlias(actor: string, name: string, alias: string, version: number, reason: string, evidence: Record<string, unknown> = {}): Promise<AliasMove> {
    checkModelName(name);
    checkAlias(alias);
    if (!Number.isInteger(version) || version < 1) throw MloopError.invalidArgument(`version must be a whole number ≥ 1, got ${version}`);
    if (reason.trim() === '') throw MloopError.invalidArgument('a reason is required for every alias move (--reason)');
    return this.store.moveAlias({ model: name, alias, version, at: this.clock().toISOString(), actor, reason: reason.trim(), evidence });
  }

  /** Removes an alias, recorded in the history like any move. */
  async removeAlias(actor: string, name: string, alias: string, reason: string): Promise<AliasMove> {
    checkModelName(name);
    checkAlias(alias);
    if (reason.trim() === '') throw MloopError.invalidArgument('a reason is required for every alias move (--reason)');
    return this.store.moveAlias({ model: name, alias, version: null, at: this.clock().toISOString(), actor, reason: reason.trim(), evidence: {} });
  }

  /** The append-only alias history, oldest first. */
  async history(name: string, alias?: string): Promise<AliasMove[]> {
    await this.getModel(name);
    return this.store.aliasHistory(name, alias);
  }

  /** Edits the model's intended use, out-of-scope use and limitations. */
  async describe(name: string, patch: ModelDescription): Promise<Model> {
    const model = await this.getModel(name);
    await this.store.updateDescription(name, { ...model.description, ...patch });
    return this.getModel(name);
  }

  /**
   * Writes a version as a bundle file (optionally signed with an Ed25519 private key in PEM).
   * An existing `output` is refused (ALREADY_EXISTS) unless `force` is set, as `mloop predict` does.
   */
  async exportBundle(actor: string, ref: string, output: string, options: { signingKey?: string; force?: boolean } = {}) {
    const version = await this.resolve(ref);
    refuseExistingOutput(output, options.force);
    const model = await this.getModel(version.model);
    const written = await writeBundle(version, model.description, this.artifacts, output, {
      actor,
      now: this.clock(),
      ...(options.signingKey === undefined ? {} : { signingKey: options.signingKey }),
    });
    return { ref: version.ref, ...written };
  }

  /**
   * Verifies a bundle and registers it as a new version (of `name`, default the bundle's model
   * name). Importing the same bundle again returns the version it created the first time.
   */
  async importBundle(
    actor: string,
    path: string,
    options: { name?: string; trustedKeys?: string[]; requireSignature?: boolean; limits?: Partial<BundleLimits> } = {},
  ): Promise<{ version: ModelVersion; created: boolean; signedBy: string | null; source: { model: string; version: number } }> {
    const { manifest, signedBy } = await readBundle(path, this.artifacts, options);
    const name = checkModelName(options.name ?? manifest.model.name);
    const runKey = `bundle:${createHash('sha256').update(JSON.stringify(manifest)).digest('hex')}`;
    const result = await this.store.createVersion({
      model: name,
      task: manifest.model.task,
      runKey,
      record: manifest.record,
      artifacts: manifest.files,
      tags: { ...manifest.tags, imported_from: `${manifest.model.name}@${manifest.model.version}` },
      notes: manifest.notes,
      description: manifest.model.description,
      createdAt: this.clock().toISOString(),
      createdBy: actor,
    });
    return { ...result, signedBy, source: { model: manifest.model.name, version: manifest.model.version } };
  }

  /** Saves an evaluation report (stored content-addressed) as evidence for a version. */
  async recordEvaluation(actor: string, ref: string, dataset: string, report: unknown, summary: Record<string, unknown>, gatePassed: boolean | null): Promise<SavedEvaluation> {
    const version = await this.resolve(ref);
    const blob = await this.artifacts.put(JSON.stringify(report));
    return this.store.saveEvaluation({ model: version.ref, dataset, reportSha256: blob.sha256, summary, gatePassed, createdAt: this.clock().toISOString(), createdBy: actor });
  }

  /** Saved evaluations of a version, newest first. */
  async evaluations(ref: string): Promise<SavedEvaluation[]> {
    const version = await this.resolve(ref);
    return this.store.listEvaluations(version.model, version.version);
  }

  /** The full report of a saved evaluation. */
  async readEvaluation(e: SavedEvaluation): Promise<unknown> {
    return JSON.parse((await this.artifacts.get(e.reportSha256)).toString('utf8'));
  }

  /**
   * Imports a bundle arriving as a stream (an HTTP upload): staged to a temp file with a size
   * limit (RESOURCE_EXHAUSTED past it), then verified and registered like `importBundle`.
   */
  async importBundleUpload(
    actor: string,
    body: NodeJS.ReadableStream,
    options: { maxBytes: number; name?: string; trustedKeys?: string[]; requireSignature?: boolean },
  ): Promise<Awaited<ReturnType<RegistryService['importBundle']>>> {
    const dir = mkdtempSync(join(tmpdir(), 'mloop-bundle-'));
    try {
      const file = join(dir, 'upload.mloop');
      let size = 0;
      const tooLarge = () => MloopError.resourceExhausted(`the upload is larger than the limit of ${options.maxBytes} bytes`, { details: { maxBytes: options.maxBytes } });
      await pipeline(
        body,
        async function* limit(chunks: AsyncIterable<Uint8Array | string>) {
          for await (const chunk of chunks) {
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
            size += bytes.byteLength;
            if (size > options.maxBytes) throw tooLarge();
            yield bytes;
          }
        },
        createWriteStream(file, { flags: 'wx' }),
      );
      const { maxBytes: _limit, ...importOptions } = options;
      return await this.importBundle(actor, file, importOptions);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Reads one artifact of a version, verified against its hash. */
  async readArtifact(version: ModelVersion, name: string): Promise<Buffer> {
    const ref = version.artifacts.find((a) => a.name === name);
    if (!ref) throw MloopError.notFound('artifact', `${version.ref}/${name}`);
    return this.artifacts.get(ref.sha256);
  }
}

/** ALREADY_EXISTS when `output` exists and `force` is not set: an export never replaces a file silently (a signed bundle by an unsigned one). */
export function refuseExistingOutput(output: string, force: boolean | undefined): void {
  if (force !== true && existsSync(output)) throw MloopError.alreadyExists('file', output, { hint: 'pass --force to replace it' });
}

/** A new Ed25519 key pair for signing bundles, as PEM, with its key id. */
export function generateSigningKey(): { privateKey: string; publicKey: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyId(publicKey.export({ type: 'spki', format: 'der' })),
  };
}
