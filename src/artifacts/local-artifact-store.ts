/** The local backend: blobs as read-only files under `<root>/sha256/ab/cd/<sha256>`. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MloopError, isMloopError, toMloopError } from '../errors/index.js';
import {
  assertSha256,
  isSha256,
  type ArtifactStore,
  type BlobInfo,
  type BlobSource,
  type PutStreamOptions,
} from './artifact-store.js';
import { containedPath } from './path-containment.js';

const BLOB_DIR = 'sha256';
const TEMP_DIR = 'tmp';
const TEMP_SUFFIX = '.tmp';
const FAN_OUT = /^[0-9a-f]{2}$/;
const READ_ONLY = 0o444;
/**
 * How temp files are opened: exclusively (a random name never collides, and never follows a
 * planted file), private until complete, and fsynced before close (`flush`) so the rename
 * publishes durable bytes.
 */
const TEMP_FILE = { flag: 'wx', mode: 0o600, flush: true } as const;

/**
 * Stores blobs in a folder on this machine. Each blob is written to `<root>/tmp/`, synced, made
 * read-only and renamed into place, so a crash leaves either no blob or a complete one; stale temp
 * files are removed by {@link LocalArtifactStore.cleanupTemp}. The root is created on first write.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local';
  /** The root folder, absolute. */
  readonly location: string;

  /** `root` must be an absolute path; it need not exist yet. */
  constructor(root: string) {
    if (typeof root !== 'string' || !isAbsolute(root) || root.includes('\0')) {
      throw MloopError.invalidArgument(`artifact store root ${JSON.stringify(root)} must be an absolute path`);
    }
    this.location = resolve(root);
  }

  async put(data: Uint8Array | string): Promise<BlobInfo> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const info = { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
    if (await this.has(info.sha256)) return info;
    return this.storeVia(async (tempPath) => {
      await writeFile(tempPath, bytes, TEMP_FILE);
      return info;
    });
  }

  async putStream(source: BlobSource, options: PutStreamOptions = {}): Promise<BlobInfo> {
    const { maxBytes, expectedSha256 } = checkPutOptions(options);
    return this.storeVia(async (tempPath) => {
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(
        source,
        async function* meter(chunks: AsyncIterable<Uint8Array | string>) {
          for await (const chunk of chunks) {
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
            size += bytes.byteLength;
            if (size > maxBytes) {
              throw MloopError.resourceExhausted(`artifact is larger than the limit of ${maxBytes} bytes`, {
                details: { maxBytes },
              });
            }
            hash.update(bytes);
            yield bytes;
          }
        },
        createWriteStream(tempPath, { flags: TEMP_FILE.flag, mode: TEMP_FILE.mode, flush: TEMP_FILE.flush }),
      );
      return { sha256: hash.digest('hex'), size };
    }, expectedSha256);
  }

  /** Not confined to the store: `path` must come from the operator, never from a remote caller. */
  async putFile(path: string, options: PutStreamOptions = {}): Promise<BlobInfo> {
    checkPutOptions(options);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw MloopError.notFound('file', path, { cause: error });
      if (errorCode(error) === 'EISDIR') throw MloopError.invalidArgument(`'${path}' is not a regular file`);
      throw MloopError.unavailable(`cannot open file '${path}'`, { cause: error, details: { code: errorCode(error) } });
    }
    const stream = handle.createReadStream();
    try {
      const info = await handle.stat().catch((error: unknown) => {
        throw MloopError.unavailable(`cannot read file '${path}'`, { cause: error, details: { code: errorCode(error) } });
      });
      if (!info.isFile()) throw MloopError.invalidArgument(`'${path}' is not a regular file`);
      return await this.putStream(stream, options);
    } finally {
      // Closes the file when storing stopped before reading it to the end.
      stream.destroy();
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.statIfStored(sha256)) !== undefined;
  }

  async stat(sha256: string): Promise<BlobInfo> {
    const info = await this.statIfStored(sha256);
    if (info === undefined) throw blobNotFound(sha256);
    return info;
  }

  async get(sha256: string): Promise<Buffer> {
    const path = this.blobPath(sha256);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if (isMissing(error)) throw blobNotFound(sha256);
      throw this.storageError(error, 'read a blob');
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw corruptBlob(sha256, actual, path);
    return bytes;
  }

  async createReadStream(sha256: string): Promise<Readable> {
    const path = this.blobPath(sha256);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) throw blobNotFound(sha256);
      throw this.storageError(error, 'read a blob');
    }
    const file = handle.createReadStream();
    const readError = (error: unknown): MloopError => this.storageError(error, 'read a blob');
    async function* verified(): AsyncGenerator<Buffer> {
      const hash = createHash('sha256');
      try {
        for await (const chunk of file) {
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      } catch (error) {
        throw readError(error);
      }
      const actual = hash.digest('hex');
      if (actual !== sha256) throw corruptBlob(sha256, actual, path);
    }
    const out = Readable.from(verified(), { objectMode: false });
    // A consumer that stops early (or never starts) must not leave the file open.
    out.once('close', () => file.destroy());
    return out;
  }

  async localPath(sha256: string): Promise<string> {
    await this.stat(sha256);
    return this.blobPath(sha256);
  }

  async delete(sha256: string): Promise<boolean> {
    const path = this.blobPath(sha256);
    try {
      await unlink(path);
    } catch (error) {
      if (isMissing(error)) return false;
      throw this.storageError(error, 'delete a blob');
    }
    await fsyncDir(dirname(path)).catch((error: unknown) => {
      throw this.storageError(error, 'delete a blob');
    });
    return true;
  }

  async *list(): AsyncGenerator<BlobInfo> {
    for (const first of await this.sortedEntries(BLOB_DIR)) {
      if (!FAN_OUT.test(first)) continue;
      for (const second of await this.sortedEntries(BLOB_DIR, first)) {
        if (!FAN_OUT.test(second)) continue;
        for (const name of await this.sortedEntries(BLOB_DIR, first, second)) {
          if (!isSha256(name) || !name.startsWith(first + second)) continue;
          // Deleted since the folder was read: skip rather than fail the listing.
          const info = await this.statIfStored(name);
          if (info !== undefined) yield info;
        }
      }
    }
  }

  async usage(): Promise<{ blobs: number; bytes: number }> {
    let blobs = 0;
    let bytes = 0;
    for await (const info of this.list()) {
      blobs += 1;
      bytes += info.size;
    }
    return { blobs, bytes };
  }

  /**
   * Removes temp files last modified more than `olderThanMs` ago, left behind by crashed writes,
   * and returns how many it removed. Pick an age well above the longest upload, since a write in
   * progress also has a temp file.
   */
  async cleanupTemp(olderThanMs: number): Promise<number> {
    if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
      throw MloopError.invalidArgument(`olderThanMs must be a non-negative number, got ${String(olderThanMs)}`);
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of await this.sortedEntries(TEMP_DIR)) {
      const path = containedPath(this.location, TEMP_DIR, name);
      try {
        const info = await lstat(path);
        if (!info.isFile() || info.mtimeMs >= cutoff) continue;
        await unlink(path);
        removed += 1;
      } catch (error) {
        if (!isMissing(error)) throw this.storageError(error, 'clean up temp files');
      }
    }
    return removed;
  }

  private blobPath(sha256: string): string {
    assertSha256(sha256);
    return containedPath(this.location, BLOB_DIR, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  private async statIfStored(sha256: string): Promise<BlobInfo | undefined> {
    const path = this.blobPath(sha256);
    try {
      const info = await stat(path);
      return info.isFile() ? { sha256, size: info.size } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.storageError(error, 'read a blob');
    }
  }

  /**
   * Has `write` create the temp file (with {@link TEMP_FILE}, so it is synced and closed when
   * `write` settles), then makes it the blob named by the hash `write` returns. Whatever fails,
   * the temp file is removed.
   */
  private async storeVia(write: (tempPath: string) => Promise<BlobInfo>, expectedSha256?: string): Promise<BlobInfo> {
    const tempPath = containedPath(this.location, TEMP_DIR, randomBytes(16).toString('hex') + TEMP_SUFFIX);
    try {
      await ensureDir(containedPath(this.location, TEMP_DIR));
      const info = await write(tempPath);
      if (expectedSha256 !== undefined && info.sha256 !== expectedSha256) {
        throw MloopError.invalidArgument(`artifact content does not match the expected sha256 ${expectedSha256}`, {
          details: { expectedSha256, actualSha256: info.sha256, size: info.size },
        });
      }
      await chmod(tempPath, READ_ONLY);
      await this.commit(tempPath, info.sha256);
      return info;
    } catch (error) {
      await unlink(tempPath).catch(() => undefined);
      throw this.storageError(error, 'store a blob');
    }
  }

  private async commit(tempPath: string, sha256: string): Promise<void> {
    const path = this.blobPath(sha256);
    await ensureDir(dirname(path));
    if ((await this.statIfStored(sha256)) !== undefined) {
      // Same key, same bytes: the stored copy is as good as ours.
      await unlink(tempPath);
      return;
    }
    // Two writers of the same bytes may both get here; rename replaces atomically, so either wins.
    await rename(tempPath, path);
    await fsyncDir(dirname(path));
  }

  /** Entry names of a folder under the root, sorted; none when it does not exist. */
  private async sortedEntries(...segments: string[]): Promise<string[]> {
    try {
      return (await readdir(containedPath(this.location, ...segments))).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw this.storageError(error, 'list blobs');
    }
  }

  private storageError(error: unknown, action: string): MloopError {
    if (isMloopError(error)) return error;
    const code = errorCode(error);
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return MloopError.resourceExhausted(`artifact store at ${this.location} is full`, {
        cause: error,
        details: { location: this.location, code },
      });
    }
    if (code !== undefined && typeof error === 'object' && error !== null && 'syscall' in error) {
      return MloopError.unavailable(`artifact store at ${this.location} could not ${action} (${code})`, {
        cause: error,
        details: { location: this.location, code },
        hint: 'check that the folder exists, is writable by this user and that the disk is healthy',
      });
    }
    return toMloopError(error);
  }
}

function checkPutOptions(options: PutStreamOptions): { maxBytes: number; expectedSha256: string | undefined } {
  const { maxBytes = Number.POSITIVE_INFINITY, expectedSha256 } = options;
  if (options.maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw MloopError.invalidArgument(`maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
  }
  if (expectedSha256 !== undefined) assertSha256(expectedSha256, 'expectedSha256');
  return { maxBytes, expectedSha256 };
}

function blobNotFound(sha256: string): MloopError {
  return MloopError.notFound('artifact blob', sha256);
}

function corruptBlob(sha256: string, actualSha256: string, path: string): MloopError {
  return MloopError.internal(`artifact blob ${sha256} is corrupt: its stored bytes hash to ${actualSha256}`, {
    details: { sha256, actualSha256, path },
    hint: 'the stored file was changed or damaged; restore it from a backup, or delete it and add the artifact again',
  });
}

/** Creates `dir` and its missing parents, syncing each new folder's parent so the entries survive a crash. */
async function ensureDir(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  for (let created = dir; ; created = dirname(created)) {
    await fsyncDir(dirname(created));
    if (created === firstCreated || dirname(created) === created) return;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot open or sync folders; the rename itself is still atomic there.
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
