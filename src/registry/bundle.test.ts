import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Entry } from 'yauzl';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MloopError } from '../errors/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { generateSigningKey, type VersionRecord } from './index.js';

let a: TempWorkspace;
let b: TempWorkspace;
const record: VersionRecord = { datasets: ['tickets@1'], inputSchema: [{ name: 'text', type: 'text' }], learner: 'test', params: { c: 1 }, seed: 7, codeVersion: 'test', metrics: { accuracy: 0.91 } };
const weights = Buffer.from(Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i)).buffer);

beforeAll(async () => {
  a = await tempWorkspace();
  b = await tempWorkspace();
  await a.ws.registry.registerVersion('eng', {
    model: 'support',
    task: 'text-classification',
    record,
    files: [
      { name: 'model.json', data: JSON.stringify({ labels: ['a', 'b'] }) },
      { name: 'weights.f32', data: weights },
    ],
    description: { intendedUse: 'route tickets' },
  });
});
afterAll(async () => {
  await a.cleanup();
  await b.cleanup();
});

const codeOf = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as MloopError).code;
const messageOf = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as Error).message;

/** Builds a zip from entries; `rename` patches names afterwards (yazl refuses hostile names). */
async function makeZip(path: string, entries: Array<{ name: string; data: Buffer; mode?: number; compress?: boolean }>, rename: Record<string, string> = {}): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name, { compress: e.compress ?? false, ...(e.mode ? { mode: e.mode } : {}) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  let buf = Buffer.concat(chunks);
  for (const [from, to] of Object.entries(rename)) {
    expect(to.length).toBe(from.length);
    buf = Buffer.from(buf.toString('latin1').split(from).join(to), 'latin1');
  }
  writeFileSync(path, buf);
}

describe('bundles', () => {
  it('round-trips into another workspace with identical files, once', async () => {
    const out = join(a.dir, 'support.mloop');
    const written = await a.ws.registry.exportBundle('eng', 'support@1', out);
    expect(written).toMatchObject({ ref: 'support@1', signed: false });
    const imported = await b.ws.registry.importBundle('ops', out);
    expect(imported.created).toBe(true);
    expect(imported.version.ref).toBe('support@1');
    expect(imported.version.record).toEqual(record);
    expect(imported.version.tags['imported_from']).toBe('support@1');
    expect(await b.ws.registry.readArtifact(imported.version, 'weights.f32')).toEqual(weights);
    expect((await b.ws.registry.getModel('support')).description).toEqual({ intendedUse: 'route tickets' });
    const again = await b.ws.registry.importBundle('ops', out);
    expect(again.created).toBe(false);
    expect(again.version.id).toBe(imported.version.id);
  });

  it('signs with Ed25519 and verifies against trusted keys', async () => {
    const key = generateSigningKey();
    const other = generateSigningKey();
    const out = join(a.dir, 'signed.mloop');
    expect((await a.ws.registry.exportBundle('eng', 'support@1', out, { signingKey: key.privateKey })).signed).toBe(true);
    const ok = await b.ws.registry.importBundle('ops', out, { name: 'signed', trustedKeys: [other.publicKey, key.publicKey], requireSignature: true });
    expect(ok.signedBy).toBe(key.keyId);
    expect(await codeOf(b.ws.registry.importBundle('ops', out, { name: 'signed2', trustedKeys: [other.publicKey] }))).toBe('PERMISSION_DENIED');
    const unsigned = join(a.dir, 'unsigned.mloop');
    await a.ws.registry.exportBundle('eng', 'support@1', unsigned);
    expect(await codeOf(b.ws.registry.importBundle('ops', unsigned, { name: 'x', requireSignature: true }))).toBe('PERMISSION_DENIED');
    // One flipped byte in the signed manifest breaks the signature.
    const bytes = readFileSync(out);
    const at = bytes.indexOf(Buffer.from('"route tickets"'));
    expect(at).toBeGreaterThan(0);
    bytes[at + 1] = 'R'.charCodeAt(0);
    const tampered = join(a.dir, 'tampered-signed.mloop');
    writeFileSync(tampered, bytes);
    expect(await codeOf(b.ws.registry.importBundle('ops', tampered, { name: 'signed3', trustedKeys: [key.publicKey] }))).toBe('PERMISSION_DENIED');
  });

  it('never replaces an existing file unless forced (a signed bundle by an unsigned one)', async () => {
    const key = generateSigningKey();
    const out = join(a.dir, 'published.mloop');
    await a.ws.registry.exportBundle('eng', 'support@1', out, { signingKey: key.privateKey });
    const signed = readFileSync(out);
    const err = (await a.ws.registry.exportBundle('eng', 'support@1', out).catch((e: unknown) => e)) as MloopError;
    expect(err).toMatchObject({ code: 'ALREADY_EXISTS', message: `file '${out}' already exists`, hint: 'pass --force to replace it' });
    expect(readFileSync(out).equals(signed)).toBe(true);
    expect(await a.ws.registry.exportBundle('eng', 'support@1', out, { force: true })).toMatchObject({ signed: false });
    expect(readFileSync(out).includes(Buffer.from('manifest.sig'))).toBe(false);
  });

  it('rejects a flipped byte in the weights, an unlisted file and a missing file, leaving no blob behind', async () => {
    const out = join(a.dir, 'base.mloop');
    await a.ws.registry.exportBundle('eng', 'support@1', out);
    const bytes = readFileSync(out);
    const at = bytes.indexOf(weights.subarray(400, 432));
    const flipped = Buffer.from(bytes);
    flipped[at + 3] = flipped[at + 3]! ^ 0xff;
    const fresh = await tempWorkspace();
    try {
      const before = await fresh.ws.artifacts.usage();
      writeFileSync(join(a.dir, 'flipped.mloop'), flipped);
      expect(await messageOf(fresh.ws.registry.importBundle('ops', join(a.dir, 'flipped.mloop')))).toMatch(/weights.f32' does not match its sha256/);
      expect(await fresh.ws.artifacts.usage()).toEqual(before);
      expect(await fresh.ws.registry.listModels()).toEqual([]);
    } finally {
      await fresh.cleanup();
    }
    const manifest = readFileSync(out).subarray(0); // reuse the real manifest via a re-zip
    const { default: yauzl } = await import('yauzl');
    const files = await new Promise<Record<string, Buffer>>((resolve, reject) => {
      const out2: Record<string, Buffer> = {};
      yauzl.fromBuffer(manifest, { lazyEntries: true }, (err, zip) => {
        if (err) return reject(err);
        zip.on('entry', (e: Entry) =>
          zip.openReadStream(e, async (err2, s) => {
            if (err2) return reject(err2);
            const parts: Buffer[] = [];
            for await (const c of s) parts.push(c as Buffer);
            out2[e.fileName] = Buffer.concat(parts);
            zip.readEntry();
          }),
        );
        zip.on('end', () => resolve(out2));
        zip.readEntry();
      });
    });
    const extra = join(a.dir, 'extra.mloop');
    await makeZip(extra, [...Object.entries(files).map(([name, data]) => ({ name, data })), { name: 'files/evil.js', data: Buffer.from('alert(1)') }]);
    expect(await messageOf(b.ws.registry.importBundle('ops', extra, { name: 'x1' }))).toMatch(/'files\/evil.js' is not listed/);
    const missing = join(a.dir, 'missing.mloop');
    await makeZip(missing, Object.entries(files).filter(([n]) => n !== 'files/weights.f32').map(([name, data]) => ({ name, data })));
    expect(await messageOf(b.ws.registry.importBundle('ops', missing, { name: 'x2' }))).toMatch(/listed in the manifest but missing/);
  });

  it('rejects zip-slip, links, bombs, too many entries and non-zips', async () => {
    const slip = join(a.dir, 'slip.mloop');
    await makeZip(slip, [{ name: 'manifest.json', data: Buffer.from('{}') }, { name: 'files/xx/evil', data: Buffer.from('x') }], { 'files/xx/evil': '../../../evil' + 'x'.repeat(0) + '' });
    expect(await messageOf(b.ws.registry.importBundle('ops', slip))).toMatch(/would escape|invalid|relative/i);
    const link = join(a.dir, 'link.mloop');
    await makeZip(link, [{ name: 'manifest.json', data: Buffer.from('{}') }, { name: 'files/lnk', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]);
    expect(await messageOf(b.ws.registry.importBundle('ops', link))).toMatch(/symbolic link/);
    const bomb = join(a.dir, 'bomb.mloop');
    await makeZip(bomb, [{ name: 'manifest.json', data: Buffer.from('{}') }, { name: 'files/zeros', data: Buffer.alloc(20 * 1024 * 1024), compress: true }]);
    expect(await messageOf(b.ws.registry.importBundle('ops', bomb))).toMatch(/decompression bomb/);
    const many = join(a.dir, 'many.mloop');
    await makeZip(many, Array.from({ length: 20 }, (_, i) => ({ name: `files/f${i}`, data: Buffer.from('x') })));
    expect(await messageOf(b.ws.registry.importBundle('ops', many, { limits: { maxEntries: 10 } }))).toMatch(/more than 10 entries/);
    const notZip = join(a.dir, 'not.mloop');
    writeFileSync(notZip, 'hello');
    expect(await codeOf(b.ws.registry.importBundle('ops', notZip))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(b.ws.registry.importBundle('ops', join(a.dir, 'absent.mloop')))).toBe('NOT_FOUND');
  });
});
