/** The artifact store contract: immutable blobs addressed by the sha256 of their bytes. */
import type { Readable } from 'node:stream';
import { MloopError } from '../errors/index.js';

/** What the store knows about one blob. */
export interface BlobInfo {
  /** The key: sha256 of the bytes, 64 lowercase hex characters. */
  sha256: string;
  /** Size in bytes. */
  size: number;
}

/** Bytes to store from a stream: a Node readable or any async iterable of chunks. */
export type BlobSource = AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream;

/** Limits and checks applied while a stream is stored. */
export interface PutStreamOptions {
  /** Fail with RESOURCE_EXHAUSTED as soon as more than this many bytes arrive. Default: no limit. */
  maxBytes?: number;
  /** Fail with INVALID_ARGUMENT, storing nothing, when the bytes hash to anything else. */
  expectedSha256?: string;
}

/**
 * A content-addressed blob store. Blobs are immutable: a key always names the same bytes.
 *
 * Every method taking a key rejects anything but 64 lowercase hex characters with INVALID_ARGUMENT
 * before touching storage. Failures of the storage itself are UNAVAILABLE (RESOURCE_EXHAUSTED when
 * it is full). Writes are atomic: after a failure or a crash a blob either does not exist or is
 * complete.
 */
export interface ArtifactStore {
  /** The backend, such as `'local'`. */
  readonly kind: string;
  /** Where the blobs live, for `mloop status`: a folder for the local backend. Holds no secrets. */
  readonly location: string;

  /**
   * Stores `data` (a string is stored as its UTF-8 bytes) and returns its key and size.
   * Idempotent: the same bytes give the same key and are stored once.
   */
  put(data: Uint8Array | string): Promise<BlobInfo>;

  /**
   * Stores everything `source` yields, hashing while it writes, so memory use does not grow with
   * the size. Past `maxBytes` it stops reading and fails with RESOURCE_EXHAUSTED; when the hash
   * differs from `expectedSha256` it fails with INVALID_ARGUMENT; an error of the source is passed
   * on. On any failure nothing is stored and nothing is left behind.
   */
  putStream(source: BlobSource, options?: PutStreamOptions): Promise<BlobInfo>;

  /**
   * Streams the local file at `path` into the store, like {@link putStream}.
   * NOT_FOUND when the file does not exist, INVALID_ARGUMENT when it is not a regular file.
   */
  putFile(path: string, options?: PutStreamOptions): Promise<BlobInfo>;

  /** True when a blob with this key is stored. */
  has(sha256: string): Promise<boolean>;

  /** Key and size of a stored blob, without reading it. NOT_FOUND when it is missing. */
  stat(sha256: string): Promise<BlobInfo>;

  /**
   * The whole blob in memory, checked against its key. NOT_FOUND when it is missing; INTERNAL with
   * `details.sha256` naming the blob when the stored bytes do not match (corruption).
   */
  get(sha256: string): Promise<Buffer>;

  /**
   * A stream of the blob's bytes. NOT_FOUND (a rejected promise, not a stream error) when it is
   * missing. The bytes are hashed as they pass; if they do not match the key, the stream ends with
   * an INTERNAL error instead of ending normally, so consumers must not trust data from a stream
   * that errored.
   */
  createReadStream(sha256: string): Promise<Readable>;

  /**
   * Local backends only: the path of the stored file, for readers such as DuckDB that open files
   * themselves. The file is read-only and is not checked against its key. NOT_FOUND when missing.
   */
  localPath?(sha256: string): Promise<string>;

  /**
   * Removes a blob; true when it existed. Not coordinated with concurrent writers: the caller
   * (garbage collection) must know that nothing refers to the blob any more.
   */
  delete(sha256: string): Promise<boolean>;

  /** Every stored blob, once each, in key order. Blobs added or deleted meanwhile may or may not appear. */
  list(): AsyncIterable<BlobInfo>;

  /** How many blobs are stored and their total size in bytes. */
  usage(): Promise<{ blobs: number; bytes: number }>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True when `value` is a valid blob key: 64 lowercase hex characters. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** Throws INVALID_ARGUMENT unless `value` is a valid blob key; `name` says which argument it was. */
export function assertSha256(value: unknown, name = 'blob key'): asserts value is string {
  if (isSha256(value)) return;
  const shown = typeof value === 'string' ? (value.length > 80 ? `${value.slice(0, 80)}…` : value) : `<${typeof value}>`;
  throw MloopError.invalidArgument(`${name} ${JSON.stringify(shown)} is not a sha256: expected 64 lowercase hex characters`, {
    details: { argument: name, value: shown },
  });
}
