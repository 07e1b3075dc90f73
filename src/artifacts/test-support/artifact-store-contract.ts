/**
 * TEST SUPPORT — not part of the build. The behaviour every {@link ArtifactStore} backend must
 * show, written once; each backend's test file calls {@link runArtifactStoreContract}.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MloopError, isMloopError, type ErrorCode } from '../../errors/index.js';
import type { ArtifactStore, BlobInfo } from '../artifact-store.js';

/** Awaits `promise`, expects it to reject with a {@link MloopError} of `code`, and returns the error. */
export async function expectRejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<MloopError> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a ${code} rejection, but it resolved`);
  if (!isMloopError(outcome.error)) throw new Error(`expected a MloopError ${code}`, { cause: outcome.error });
  expect(outcome.error.code).toBe(code);
  return outcome.error;
}

/** sha256 of `bytes` computed independently of the store. */
export function sha256Of(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a stream to the end. */
export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** `count` random chunks of `chunkSize` bytes; `state.produced` counts the chunks handed out. */
export function generatedStream(
  count: number,
  chunkSize: number,
): { stream: AsyncIterable<Uint8Array>; state: { produced: number; sha256: () => string } } {
  const hash = createHash('sha256');
  const state = { produced: 0, sha256: () => hash.copy().digest('hex') };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < count; i++) {
      const chunk = randomBytes(chunkSize);
      hash.update(chunk);
      state.produced += 1;
      yield chunk;
    }
  }
  return { stream: chunks(), state };
}

async function listAll(store: ArtifactStore): Promise<BlobInfo[]> {
  const blobs: BlobInfo[] = [];
  for await (const info of store.list()) blobs.push(info);
  return blobs;
}

/** Keys every method must refuse before touching storage. */
export const INVALID_KEYS: readonly string[] = [
  '../etc/passwd',
  'A'.repeat(64),
  sha256Of('x').toUpperCase(),
  'a'.repeat(63),
  'a'.repeat(65),
  'g'.repeat(64),
  '',
  `${sha256Of('x')}\n`,
  `${sha256Of('x').slice(0, 60)}/../`,
];

const MIB = 1024 * 1024;

/**
 * Registers the contract tests for one backend. `make` returns a fresh, empty store and a function
 * that removes everything it created.
 */
export function runArtifactStoreContract(
  name: string,
  make: () => Promise<{ store: ArtifactStore; cleanup: () => Promise<void> }>,
): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let store: ArtifactStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it('names its backend and location', () => {
      expect(store.kind).toMatch(/\S/);
      expect(store.location).toMatch(/\S/);
    });

    describe('put and get', () => {
      it('round-trips bytes under the sha256 of those bytes', async () => {
        const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
        const info = await store.put(bytes);
        expect(info).toEqual({ sha256: sha256Of(bytes), size: 1000 });
        expect(await store.get(info.sha256)).toEqual(Buffer.from(bytes));
        expect(await store.has(info.sha256)).toBe(true);
        expect(await store.stat(info.sha256)).toEqual(info);
      });

      it('stores a string as its UTF-8 bytes', async () => {
        const text = 'héllo ✓ wörld';
        const info = await store.put(text);
        expect(info).toEqual({ sha256: sha256Of(Buffer.from(text, 'utf8')), size: Buffer.byteLength(text) });
        expect((await store.get(info.sha256)).toString('utf8')).toBe(text);
      });

      it('stores empty data', async () => {
        const info = await store.put(new Uint8Array(0));
        expect(info).toEqual({ sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 0 });
        expect((await store.get(info.sha256)).length).toBe(0);
      });

      it('is idempotent: the same bytes twice give the same key and one stored blob', async () => {
        const first = await store.put('same bytes');
        const second = await store.put(Buffer.from('same bytes'));
        expect(second).toEqual(first);
        expect(await listAll(store)).toEqual([first]);
        expect(await store.usage()).toEqual({ blobs: 1, bytes: first.size });
      });

      it('gives different bytes different keys', async () => {
        const a = await store.put('a');
        const b = await store.put('b');
        expect(a.sha256).not.toBe(b.sha256);
        expect((await store.get(a.sha256)).toString()).toBe('a');
        expect((await store.get(b.sha256)).toString()).toBe('b');
      });
    });

    describe('putStream', () => {
      it('stores a multi-megabyte generated stream', async () => {
        const { stream, state } = generatedStream(80, 64 * 1024);
        const info = await store.putStream(stream);
        expect(state.produced).toBe(80);
        expect(info).toEqual({ sha256: state.sha256(), size: 5 * MIB });
        expect(await store.stat(info.sha256)).toEqual(info);
        expect(sha256Of(await store.get(info.sha256))).toBe(info.sha256);
        expect(sha256Of(await readAll(await store.createReadStream(info.sha256)))).toBe(info.sha256);
      });

      it('accepts a Node readable stream', async () => {
        const parts = [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')];
        const info = await store.putStream(Readable.from(parts));
        expect(info.sha256).toBe(sha256Of('one,two,three'));
        expect((await store.get(info.sha256)).toString()).toBe('one,two,three');
      });

      it('accepts exactly maxBytes', async () => {
        const info = await store.putStream(Readable.from([Buffer.alloc(1000, 7)]), { maxBytes: 1000 });
        expect(info.size).toBe(1000);
        expect(await store.has(info.sha256)).toBe(true);
      });

      it('fails with RESOURCE_EXHAUSTED past maxBytes, stops reading and stores nothing', async () => {
        const { stream, state } = generatedStream(64, 64 * 1024);
        const error = await expectRejectsWithCode(store.putStream(stream, { maxBytes: MIB }), 'RESOURCE_EXHAUSTED');
        expect(error.details).toMatchObject({ maxBytes: MIB });
        expect(state.produced).toBeLessThan(64);
        expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 });
      });

      it('checks expectedSha256 when it matches', async () => {
        const info = await store.putStream(Readable.from([Buffer.from('expected')]), {
          expectedSha256: sha256Of('expected'),
        });
        expect(info.sha256).toBe(sha256Of('expected'));
      });

      it('fails with INVALID_ARGUMENT on an expectedSha256 mismatch and stores nothing', async () => {
        const error = await expectRejectsWithCode(
          store.putStream(Readable.from([Buffer.from('actual')]), { expectedSha256: sha256Of('something else') }),
          'INVALID_ARGUMENT',
        );
        expect(error.details).toMatchObject({ expectedSha256: sha256Of('something else'), actualSha256: sha256Of('actual') });
        expect(await store.has(sha256Of('actual'))).toBe(false);
        expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 });
      });

      it('rejects malformed options before reading', async () => {
        const { stream, state } = generatedStream(1, 10);
        await expectRejectsWithCode(store.putStream(stream, { expectedSha256: 'ABC' }), 'INVALID_ARGUMENT');
        await expectRejectsWithCode(store.putStream(stream, { maxBytes: -1 }), 'INVALID_ARGUMENT');
        await expectRejectsWithCode(store.putStream(stream, { maxBytes: 1.5 }), 'INVALID_ARGUMENT');
        expect(state.produced).toBe(0);
      });

      it("passes on the source's error and stores nothing", async () => {
        const failure = MloopError.invalidArgument('upload broke off');
        async function* broken(): AsyncGenerator<Uint8Array> {
          yield Buffer.from('partial data');
          throw failure;
        }
        const error = await expectRejectsWithCode(store.putStream(broken()), 'INVALID_ARGUMENT');
        expect(error).toBe(failure);
        expect(await store.has(sha256Of('partial data'))).toBe(false);
        expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 });
      });

      it('fails with a MloopError when the source throws a plain error', async () => {
        async function* broken(): AsyncGenerator<Uint8Array> {
          yield Buffer.from('partial data');
          throw new Error('boom');
        }
        const outcome = await store.putStream(broken()).then(
          () => 'resolved',
          (error: unknown) => error,
        );
        expect(isMloopError(outcome)).toBe(true);
        expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 });
      });
    });

    describe('putFile', () => {
      let dir: string;
      beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), 'mloop-putfile-'));
      });
      afterEach(async () => {
        await rm(dir, { recursive: true, force: true });
      });

      it('copies a local file in', async () => {
        const bytes = randomBytes(300_000);
        await writeFile(join(dir, 'weights.bin'), bytes);
        const info = await store.putFile(join(dir, 'weights.bin'));
        expect(info).toEqual({ sha256: sha256Of(bytes), size: bytes.length });
        expect(await store.get(info.sha256)).toEqual(bytes);
      });

      it('applies the stream options', async () => {
        await writeFile(join(dir, 'big.bin'), Buffer.alloc(2000));
        await expectRejectsWithCode(store.putFile(join(dir, 'big.bin'), { maxBytes: 1000 }), 'RESOURCE_EXHAUSTED');
        expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 });
      });

      it('fails with NOT_FOUND for a missing file and INVALID_ARGUMENT for a folder', async () => {
        await expectRejectsWithCode(store.putFile(join(dir, 'missing.bin')), 'NOT_FOUND');
        await expectRejectsWithCode(store.putFile(dir), 'INVALID_ARGUMENT');
        expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 });
      });
    });

    describe('reading', () => {
      it('streams a stored blob', async () => {
        const bytes = randomBytes(200_000);
        const info = await store.put(bytes);
        expect(await readAll(await store.createReadStream(info.sha256))).toEqual(bytes);
      });

      it('reports a missing blob as absent or NOT_FOUND', async () => {
        const missing = sha256Of('never stored');
        expect(await store.has(missing)).toBe(false);
        await expectRejectsWithCode(store.stat(missing), 'NOT_FOUND');
        await expectRejectsWithCode(store.get(missing), 'NOT_FOUND');
        await expectRejectsWithCode(store.createReadStream(missing), 'NOT_FOUND');
        if (store.localPath) await expectRejectsWithCode(store.localPath(missing), 'NOT_FOUND');
        expect(await store.delete(missing)).toBe(false);
      });

      it.each(INVALID_KEYS.map((key) => [JSON.stringify(key), key]))(
        'rejects the key %s with INVALID_ARGUMENT in every method',
        async (_label, key) => {
          await expectRejectsWithCode(store.has(key), 'INVALID_ARGUMENT');
          await expectRejectsWithCode(store.stat(key), 'INVALID_ARGUMENT');
          await expectRejectsWithCode(store.get(key), 'INVALID_ARGUMENT');
          await expectRejectsWithCode(store.createReadStream(key), 'INVALID_ARGUMENT');
          await expectRejectsWithCode(store.delete(key), 'INVALID_ARGUMENT');
          if (store.localPath) await expectRejectsWithCode(store.localPath(key), 'INVALID_ARGUMENT');
        },
      );
    });

    describe('list, usage and delete', () => {
      it('reflect puts and deletes', async () => {
        expect(await listAll(store)).toEqual([]);
        expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 });

        const stored = [await store.put('alpha'), await store.put('beta!'), await store.put(randomBytes(5000))];
        const byKey = (a: BlobInfo, b: BlobInfo): number => a.sha256.localeCompare(b.sha256);
        expect(await listAll(store)).toEqual([...stored].sort(byKey));
        expect(await store.usage()).toEqual({ blobs: 3, bytes: 5 + 5 + 5000 });

        const [gone, ...kept] = stored as [BlobInfo, ...BlobInfo[]];
        expect(await store.delete(gone.sha256)).toBe(true);
        expect(await store.delete(gone.sha256)).toBe(false);
        expect(await store.has(gone.sha256)).toBe(false);
        await expectRejectsWithCode(store.get(gone.sha256), 'NOT_FOUND');
        expect(await listAll(store)).toEqual(kept.sort(byKey));
        expect(await store.usage()).toEqual({ blobs: 2, bytes: 5005 });
      });

      it('stores a deleted blob again on the next put', async () => {
        const info = await store.put('again');
        await store.delete(info.sha256);
        expect(await store.put('again')).toEqual(info);
        expect((await store.get(info.sha256)).toString()).toBe('again');
      });
    });

    describe('concurrency', () => {
      it('gives one blob and no error for 20 parallel puts of the same content', async () => {
        const bytes = randomBytes(256 * 1024);
        const results = await Promise.all([
          ...Array.from({ length: 10 }, () => store.put(bytes)),
          ...Array.from({ length: 10 }, () => store.putStream(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]))),
        ]);
        const expected = { sha256: sha256Of(bytes), size: bytes.length };
        for (const info of results) expect(info).toEqual(expected);
        expect(await listAll(store)).toEqual([expected]);
        expect(await store.get(expected.sha256)).toEqual(bytes);
      });

      it('keeps every blob of 20 parallel puts of different content', async () => {
        const contents = Array.from({ length: 20 }, (_, i) => `blob number ${i}`);
        const results = await Promise.all(contents.map((text) => store.put(text)));
        expect(new Set(results.map((info) => info.sha256)).size).toBe(20);
        expect((await store.usage()).blobs).toBe(20);
        for (const [i, info] of results.entries()) expect((await store.get(info.sha256)).toString()).toBe(contents[i]);
      });
    });
  });
}
