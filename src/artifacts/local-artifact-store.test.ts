import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MloopError, isMloopError, type ErrorCode } from '../errors/index.js';
import { LocalArtifactStore, containedPath, openArtifactStore } from './index.js';
import {
  expectRejectsWithCode,
  generatedStream,
  readAll,
  runArtifactStoreContract,
  sha256Of,
} from './test-support/artifact-store-contract.js';

const onWindows = process.platform === 'win32';

async function makeTempDir(): Promise<string> {
  // realpath: on some systems the temp folder itself is behind a symlink (macOS /var).
  return realpath(await mkdtemp(join(tmpdir(), 'mloop-artifacts-')));
}

function thrownCode(fn: () => unknown): ErrorCode | 'no error' | 'not a MloopError' {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return isMloopError(error) ? error.code : 'not a MloopError';
  }
}

runArtifactStoreContract('local', async () => {
  const dir = await makeTempDir();
  return {
    store: new LocalArtifactStore(join(dir, 'store')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('LocalArtifactStore', () => {
  let dir: string;
  let root: string;
  let store: LocalArtifactStore;

  beforeEach(async () => {
    dir = await makeTempDir();
    root = join(dir, 'store');
    store = new LocalArtifactStore(root);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const tempFiles = async (): Promise<string[]> => readdir(join(root, 'tmp')).catch(() => []);

  it('lays blobs out as sha256/ab/cd/<hex>, read-only, and hands out that path', async () => {
    const info = await store.put('layout');
    const expected = join(root, 'sha256', info.sha256.slice(0, 2), info.sha256.slice(2, 4), info.sha256);
    expect(await readFile(expected, 'utf8')).toBe('layout');
    if (!onWindows) expect((await stat(expected)).mode & 0o777).toBe(0o444);
    expect(await store.localPath(info.sha256)).toBe(expected);
    expect(store.kind).toBe('local');
    expect(store.location).toBe(root);
  });

  it('creates nothing until the first write', async () => {
    expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 });
    expect(await store.has(sha256Of('x'))).toBe(false);
    expect(existsSync(root)).toBe(false);
    await store.put('x');
    expect(existsSync(root)).toBe(true);
  });

  it('leaves no temp file after a success or any failure', async () => {
    await store.put('ok');
    await store.putStream(generatedStream(20, 64 * 1024).stream);
    await expectRejectsWithCode(store.putStream(generatedStream(20, 64 * 1024).stream, { maxBytes: 100_000 }), 'RESOURCE_EXHAUSTED');
    await expectRejectsWithCode(
      store.putStream(Readable.from([Buffer.from('data')]), { expectedSha256: sha256Of('other') }),
      'INVALID_ARGUMENT',
    );
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('boom');
    }
    await expect(store.putStream(broken())).rejects.toBeInstanceOf(MloopError);
    expect(existsSync(join(root, 'tmp'))).toBe(true);
    expect(await tempFiles()).toEqual([]);
    expect((await store.usage()).blobs).toBe(2);
  });

  it('leaves no temp file after 20 parallel puts of the same content', async () => {
    await Promise.all(Array.from({ length: 20 }, () => store.put('same')));
    expect(await tempFiles()).toEqual([]);
    expect(await store.usage()).toEqual({ blobs: 1, bytes: 4 });
  });

  describe('a corrupted blob', () => {
    async function corrupt(text: string): Promise<string> {
      const info = await store.put(text);
      const path = await store.localPath(info.sha256);
      await chmod(path, 0o644);
      const bytes = await readFile(path);
      bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      await writeFile(path, bytes);
      return info.sha256;
    }

    it('makes get fail with INTERNAL naming the blob', async () => {
      const sha256 = await corrupt('precious model weights');
      const error = await expectRejectsWithCode(store.get(sha256), 'INTERNAL');
      expect(error.message).toContain(`artifact blob ${sha256} is corrupt`);
      expect(error.details).toMatchObject({ sha256 });
      expect(error.details?.['actualSha256']).not.toBe(sha256);
    });

    it('makes a read stream end with INTERNAL instead of ending normally', async () => {
      const sha256 = await corrupt('precious model weights');
      const stream = await store.createReadStream(sha256);
      const error = await expectRejectsWithCode(readAll(stream), 'INTERNAL');
      expect(error.details).toMatchObject({ sha256 });
    });
  });

  describe.skipIf(process.platform !== 'linux')('read streams', () => {
    /** File descriptors of this process open on `path` (Linux: /proc/self/fd). */
    async function openDescriptors(path: string): Promise<number> {
      let count = 0;
      for (const fd of await readdir('/proc/self/fd')) {
        const target = await readlink(join('/proc/self/fd', fd)).catch(() => '');
        if (target === path) count += 1;
      }
      return count;
    }

    async function eventuallyClosed(path: string): Promise<number> {
      for (let attempt = 0; attempt < 50 && (await openDescriptors(path)) > 0; attempt++) {
        await new Promise((done) => setTimeout(done, 10));
      }
      return openDescriptors(path);
    }

    it('close the file when a reader stops early', async () => {
      const info = await store.put(Buffer.alloc(1024 * 1024, 1));
      const path = await store.localPath(info.sha256);
      const stream = await store.createReadStream(info.sha256);
      for await (const chunk of stream) {
        expect((chunk as Buffer).length).toBeGreaterThan(0);
        expect(await openDescriptors(path)).toBe(1);
        break;
      }
      expect(await eventuallyClosed(path)).toBe(0);
    });

    it('close the file when a reader never starts', async () => {
      const info = await store.put('unread');
      const path = await store.localPath(info.sha256);
      const stream = await store.createReadStream(info.sha256);
      expect(await openDescriptors(path)).toBe(1);
      stream.destroy();
      expect(await eventuallyClosed(path)).toBe(0);
    });
  });

  it('cleanupTemp removes stale temp files and keeps fresh ones', async () => {
    await store.put('creates the folders');
    const stale = join(root, 'tmp', 'crashed-write.tmp');
    const fresh = join(root, 'tmp', 'in-progress.tmp');
    await writeFile(stale, 'half a blob');
    await writeFile(fresh, 'still being written');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);

    expect(await store.cleanupTemp(60 * 60 * 1000)).toBe(1);
    expect(await tempFiles()).toEqual(['in-progress.tmp']);
    const halfAnHourAgo = new Date(Date.now() - 30 * 60 * 1000);
    await utimes(fresh, halfAnHourAgo, halfAnHourAgo);
    expect(await store.cleanupTemp(60 * 60 * 1000)).toBe(0);
    expect(await store.cleanupTemp(10 * 60 * 1000)).toBe(1);
    expect(await tempFiles()).toEqual([]);
    expect((await store.usage()).blobs).toBe(1);
    await expectRejectsWithCode(store.cleanupTemp(-1), 'INVALID_ARGUMENT');
  });

  it('cleanupTemp on a store without temp folder removes nothing', async () => {
    expect(await store.cleanupTemp(0)).toBe(0);
  });

  it.skipIf(onWindows)('refuses to follow a blob folder symlinked outside the root', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await mkdir(root);
    await symlink(outside, join(root, 'sha256'));
    await expectRejectsWithCode(store.put('escape'), 'INVALID_ARGUMENT');
    await expectRejectsWithCode(store.has(sha256Of('escape')), 'INVALID_ARGUMENT');
    expect(await readdir(outside)).toEqual([]);
  });

  it('reports an unusable root as UNAVAILABLE', async () => {
    await writeFile(root, 'a file where the store folder should be');
    await expectRejectsWithCode(store.put('x'), 'UNAVAILABLE');
  });

  it('requires an absolute root', () => {
    expect(thrownCode(() => new LocalArtifactStore('relative/store'))).toBe('INVALID_ARGUMENT');
  });
});

describe('containedPath', () => {
  let root: string;
  let outside: string;
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
    root = join(dir, 'root');
    outside = join(dir, 'outside');
    await mkdir(join(root, 'data', 'nested'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts normal nested names, existing or not', () => {
    expect(containedPath(root, 'data/nested/file.csv')).toBe(join(root, 'data', 'nested', 'file.csv'));
    expect(containedPath(root, 'data', 'nested', 'file.csv')).toBe(join(root, 'data', 'nested', 'file.csv'));
    expect(containedPath(root, 'new', 'deeper', 'x.bin')).toBe(join(root, 'new', 'deeper', 'x.bin'));
    expect(containedPath(root, 'data')).toBe(join(root, 'data'));
    expect(containedPath(root, '..hidden', 'a..b', '.env')).toBe(join(root, '..hidden', 'a..b', '.env'));
    expect(containedPath(root)).toBe(root);
  });

  it.each([
    ['..', ['..']],
    ['../sibling', ['../outside/secret.txt']],
    ['an absolute segment', ['/etc/passwd']],
    ['an absolute later segment', ['data', '/etc']],
    ['a/../../b', ['a/../../b']],
    ['.. that stays inside', ['data/../data']],
    ['a NUL byte', ['data\0.txt']],
    ['a backslash', ['..\\outside']],
    ['an empty segment', ['data', '']],
    ['an empty name', ['data//x']],
    ['a trailing slash', ['data/']],
    ['a lone dot', ['.']],
  ])('rejects %s', (_label, segments) => {
    expect(thrownCode(() => containedPath(root, ...segments))).toBe('INVALID_ARGUMENT');
  });

  describe.skipIf(onWindows)('symlinks', () => {
    it('rejects a symlinked folder pointing outside, and paths beneath it', async () => {
      await symlink(outside, join(root, 'link'));
      expect(thrownCode(() => containedPath(root, 'link'))).toBe('INVALID_ARGUMENT');
      expect(thrownCode(() => containedPath(root, 'link/secret.txt'))).toBe('INVALID_ARGUMENT');
      expect(thrownCode(() => containedPath(root, 'link', 'not-yet-written.txt'))).toBe('INVALID_ARGUMENT');
    });

    it('rejects a symlinked file pointing outside', async () => {
      await symlink(join(outside, 'secret.txt'), join(root, 'data', 'innocent.txt'));
      expect(thrownCode(() => containedPath(root, 'data', 'innocent.txt'))).toBe('INVALID_ARGUMENT');
    });

    it('rejects dangling symlinks and symlink loops', async () => {
      await symlink(join(outside, 'not-there'), join(root, 'dangling'));
      await symlink(join(root, 'loop-b'), join(root, 'loop-a'));
      await symlink(join(root, 'loop-a'), join(root, 'loop-b'));
      expect(thrownCode(() => containedPath(root, 'dangling'))).toBe('INVALID_ARGUMENT');
      expect(thrownCode(() => containedPath(root, 'loop-a'))).toBe('INVALID_ARGUMENT');
    });

    it('accepts symlinks that stay inside, and a root reached through a symlink', async () => {
      await symlink(join(root, 'data', 'nested'), join(root, 'shortcut'));
      expect(containedPath(root, 'shortcut', 'file.csv')).toBe(join(root, 'shortcut', 'file.csv'));
      const linkedRoot = join(dir, 'linked-root');
      await symlink(root, linkedRoot);
      expect(containedPath(linkedRoot, 'data', 'nested')).toBe(join(linkedRoot, 'data', 'nested'));
    });
  });
});

describe('openArtifactStore', () => {
  it('opens the local store for a file: URL and for a plain absolute path', () => {
    const path = join(tmpdir(), 'mloop-artifacts-never-created');
    const fromUrl = openArtifactStore(new URL(`file://${path}`).href);
    expect(fromUrl).toBeInstanceOf(LocalArtifactStore);
    expect(fromUrl.location).toBe(path);
    const fromPath = openArtifactStore(path);
    expect(fromPath.kind).toBe('local');
    expect(fromPath.location).toBe(path);
    expect(existsSync(path)).toBe(false);
  });

  it('rejects an unknown scheme, listing the known ones without echoing the URL', () => {
    let error: unknown;
    try {
      openArtifactStore('s3://AKIAKEY:supersecret@bucket/prefix');
    } catch (caught) {
      error = caught;
    }
    expect(isMloopError(error) && error.code).toBe('INVALID_ARGUMENT');
    const mloopError = error as MloopError;
    expect(mloopError.message).toContain("'s3:'");
    expect(mloopError.message).toContain('file:');
    expect(mloopError.details).toMatchObject({ scheme: 's3:', knownSchemes: ['file:'] });
    expect(JSON.stringify({ message: mloopError.message, details: mloopError.details, hint: mloopError.hint })).not.toContain(
      'supersecret',
    );
  });

  it.each(['', 'relative/artifacts', 'file:relative/artifacts', 'file://otherhost/artifacts'])(
    'rejects %j with INVALID_ARGUMENT',
    (url) => {
      expect(thrownCode(() => openArtifactStore(url))).toBe('INVALID_ARGUMENT');
    },
  );
});
