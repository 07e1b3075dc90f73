/**
 * Model bundles: one zip file with a manifest (every file with its sha256 and size, the model's
 * record and schema) and data-only weights. Import inspects every entry before extracting,
 * verifies every hash, and leaves nothing behind on failure. Optional Ed25519 signatures.
 */
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { writeFileAtomic, type ArtifactStore } from '../artifacts/index.js';
import { MloopError } from '../errors/index.js';
import { TASKS, checkModelName, type ArtifactRef, type ModelDescription, type ModelVersion, type Task, type VersionRecord } from './registry.js';

export const BUNDLE_FORMAT = 'mloop-bundle/1';
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Limits that protect import from hostile archives. */
export interface BundleLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxEntryBytes: number;
  /** Largest uncompressed/compressed size ratio of one entry (decompression bombs). */
  maxCompressionRatio: number;
  maxManifestBytes: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = Object.freeze({
  maxEntries: 256,
  maxTotalBytes: 2 * 1024 ** 3,
  maxEntryBytes: 1024 ** 3,
  maxCompressionRatio: 100,
  maxManifestBytes: 4 * 1024 ** 2,
});

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  model: { name: string; version: number; task: Task; description: ModelDescription };
  record: VersionRecord;
  tags: Record<string, string>;
  notes: string;
  files: ArtifactRef[];
  exported_at: string;
  exported_by: string;
}

/** Writes `version` as a bundle at `output`, atomically (temp file, fsync, rename). */
export async function writeBundle(
  version: ModelVersion,
  description: ModelDescription,
  artifacts: ArtifactStore,
  output: string,
  options: { actor: string; signingKey?: string; now?: Date },
): Promise<{ output: string; sha256: string; bytes: number; signed: boolean }> {
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    model: { name: version.model, version: version.version, task: version.task, description },
    record: version.record,
    tags: version.tags,
    notes: version.notes,
    files: version.artifacts,
    exported_at: (options.now ?? new Date()).toISOString(),
    exported_by: options.actor,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2));
  const zip = new yazl.ZipFile();
  const mtime = new Date('2000-01-01T00:00:00Z');
  zip.addBuffer(manifestBytes, 'manifest.json', { mtime, compress: false });
  let signed = false;
  if (options.signingKey !== undefined) {
    const key = loadKey(options.signingKey, 'private');
    const signature = edSign(null, manifestBytes, key);
    const publicDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
    zip.addBuffer(Buffer.from(JSON.stringify({ algorithm: 'ed25519', key_id: keyId(publicDer), signature: signature.toString('base64') })), 'manifest.sig', { mtime });
    signed = true;
  }
  for (const f of version.artifacts) zip.addBuffer(await artifacts.get(f.sha256), `files/${f.name}`, { mtime, compress: f.mediaType === 'application/json' });
  zip.end();
  await writeFileAtomic(output, zip.outputStream as unknown as Readable);
  const bytes = statSync(output).size;
  return { output, sha256: await fileHash(output), bytes, signed };
}

async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** A key id: the first 16 hex digits of the sha256 of the public key's DER. */
export function keyId(publicDer: Buffer): string {
  return createHash('sha256').update(publicDer).digest('hex').slice(0, 16);
}

function loadKey(pem: string, kind: 'private' | 'public'): KeyObject {
  try {
    const key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (${key.asymmetricKeyType})`);
    return key;
  } catch (err) {
    throw MloopError.invalidArgument(`the ${kind} key is not a valid Ed25519 PEM key: ${(err as Error).message}`, { cause: err });
  }
}

interface ZipEntryInfo {
  entry: yauzl.Entry;
  name: string;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true }, (err, zip) => (err ? reject(err) : resolve(zip))),
  );
}

function readEntries(zip: yauzl.ZipFile, limits: BundleLimits): Promise<ZipEntryInfo[]> {
  return new Promise((resolve, reject) => {
    const entries: ZipEntryInfo[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entries.length >= limits.maxEntries) return reject(badBundle(`more than ${limits.maxEntries} entries`));
      entries.push({ entry, name: entry.fileName });
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function badBundle(message: string, cause?: unknown): MloopError {
  return MloopError.invalidArgument(`invalid bundle: ${message}`, cause === undefined ? {} : { cause });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream as Readable))));
}

async function readSmall(zip: yauzl.ZipFile, entry: yauzl.Entry, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await openEntry(zip, entry)) {
    size += (chunk as Buffer).length;
    if (size > max) throw badBundle(`${entry.fileName} is larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Checks every entry's name, type and sizes before anything is read. */
function inspect(entries: ZipEntryInfo[], limits: BundleLimits): void {
  const seen = new Set<string>();
  let total = 0;
  for (const { entry, name } of entries) {
    if (seen.has(name)) throw badBundle(`duplicate entry '${name}'`);
    seen.add(name);
    if (name.includes('\\') || name.startsWith('/') || name.split('/').some((p) => p === '..' || p === '.' || p === '')) {
      throw badBundle(`entry '${name}' would escape the bundle`);
    }
    const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
    if (mode === 0o120000) throw badBundle(`entry '${name}' is a symbolic link`);
    if (name.endsWith('/') || mode === 0o040000) throw badBundle(`entry '${name}' is a folder`);
    if (name !== 'manifest.json' && name !== 'manifest.sig' && !(name.startsWith('files/') && FILE_NAME.test(name.slice(6)))) {
      throw badBundle(`unexpected entry '${name}'`);
    }
    if (entry.uncompressedSize > limits.maxEntryBytes) throw badBundle(`entry '${name}' is larger than ${limits.maxEntryBytes} bytes`);
    total += entry.uncompressedSize;
    if (total > limits.maxTotalBytes) throw badBundle(`the bundle unpacks to more than ${limits.maxTotalBytes} bytes`);
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (ratio > limits.maxCompressionRatio) throw badBundle(`entry '${name}' expands ${Math.round(ratio)}× (limit ${limits.maxCompressionRatio}×): a decompression bomb?`);
  }
  if (!seen.has('manifest.json')) throw badBundle('manifest.json is missing');
}

function checkManifest(raw: unknown): BundleManifest {
  const m = raw as BundleManifest;
  const ok =
    m !== null &&
    typeof m === 'object' &&
    m.format === BUNDLE_FORMAT &&
    typeof m.model?.name === 'string' &&
    TASKS.includes(m.model.task) &&
    Array.isArray(m.files) &&
    m.files.every((f) => typeof f?.name === 'string' && FILE_NAME.test(f.name) && /^[0-9a-f]{64}$/.test(f.sha256) && Number.isSafeInteger(f.size) && f.size >= 0) &&
    typeof m.record === 'object' &&
    m.record !== null;
  if (!ok) throw badBundle(`manifest.json is not a ${BUNDLE_FORMAT} manifest`);
  checkModelName(m.model.name);
  if (new Set(m.files.map((f) => f.name)).size !== m.files.length) throw badBundle('manifest.json lists a file twice');
  return m;
}

export interface ReadBundleResult {
  manifest: BundleManifest;
  /** Key id of the verified signature, or null when unsigned. */
  signedBy: string | null;
}

/**
 * Verifies a bundle and copies its files into `artifacts`. Order: inspect every entry (names,
 * types, sizes, ratios); verify the signature over the manifest's bytes (when keys are trusted
 * or a signature is required); parse the manifest; stream each listed file into the store,
 * checking its size and sha256 (the store refuses a mismatch). Unlisted or missing files fail.
 * On any failure, blobs this call added are removed.
 */
export async function readBundle(
  path: string,
  artifacts: ArtifactStore,
  options: { trustedKeys?: string[]; requireSignature?: boolean; limits?: Partial<BundleLimits> } = {},
): Promise<ReadBundleResult> {
  const limits = { ...DEFAULT_BUNDLE_LIMITS, ...options.limits };
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw MloopError.notFound('file', path);
    throw badBundle(`${path} is not a readable zip archive (${(err as Error).message})`, err);
  }
  const added: string[] = [];
  try {
    const entries = await readEntries(zip, limits);
    inspect(entries, limits);
    const byName = new Map(entries.map((e) => [e.name, e.entry]));
    const manifestBytes = await readSmall(zip, byName.get('manifest.json')!, limits.maxManifestBytes);
    let signedBy: string | null = null;
    const sigEntry = byName.get('manifest.sig');
    const trusted = options.trustedKeys ?? [];
    if (sigEntry && trusted.length > 0) {
      const sig = JSON.parse((await readSmall(zip, sigEntry, 4096)).toString('utf8')) as { algorithm?: string; signature?: string };
      if (sig.algorithm !== 'ed25519' || typeof sig.signature !== 'string') throw badBundle('manifest.sig is malformed');
      const signature = Buffer.from(sig.signature, 'base64');
      for (const pem of trusted) {
        const key = loadKey(pem, 'public');
        if (edVerify(null, manifestBytes, key, signature)) {
          signedBy = keyId(key.export({ type: 'spki', format: 'der' }));
          break;
        }
      }
      if (signedBy === null) throw MloopError.permissionDenied('the bundle signature does not verify against any trusted key');
    } else if (options.requireSignature) {
      throw MloopError.permissionDenied(sigEntry ? 'the bundle is signed but no trusted key was given (--trust)' : 'the bundle is not signed and a signature is required');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(manifestBytes.toString('utf8'));
    } catch (err) {
      throw badBundle('manifest.json is not valid JSON', err);
    }
    const manifest = checkManifest(parsed);
    const listed = new Set(manifest.files.map((f) => `files/${f.name}`));
    for (const name of byName.keys()) {
      if (name.startsWith('files/') && !listed.has(name)) throw badBundle(`'${name}' is not listed in the manifest`);
    }
    for (const f of manifest.files) {
      const entry = byName.get(`files/${f.name}`);
      if (!entry) throw badBundle(`'files/${f.name}' is listed in the manifest but missing`);
      if (entry.uncompressedSize !== f.size) throw badBundle(`'files/${f.name}' is ${entry.uncompressedSize} bytes, the manifest says ${f.size}`);
      const existed = await artifacts.has(f.sha256);
      try {
        await artifacts.putStream(await openEntry(zip, entry), { expectedSha256: f.sha256, maxBytes: f.size });
      } catch (err) {
        throw badBundle(`'files/${f.name}' does not match its sha256 in the manifest`, err);
      }
      if (!existed) added.push(f.sha256);
    }
    return { manifest, signedBy };
  } catch (err) {
    for (const sha of added) await artifacts.delete(sha).catch(() => undefined);
    throw err;
  } finally {
    zip.close();
  }
}
