/**
 * The registry over HTTP with the server's keys (registry.signingKey, registry.trustedKeys,
 * registry.requireSignature) and ONNX models uploaded as multipart forms.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../../auth/index.js';
import { generateSigningKey, type VersionRecord } from '../../registry/index.js';
import { loadModel } from '../../training/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { buildServer } from '../index.js';

const ONNX_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'registry', 'test-support', 'onnx');
const record: VersionRecord = { datasets: ['tickets@1'], inputSchema: [{ name: 'text', type: 'text' }], learner: 'test', params: {}, seed: 7, codeVersion: 'test', metrics: {} };
const schema = {
  task: 'tabular-classification',
  inputs: [{ input: 'features', columns: ['a', 'b', 'c'], kind: 'numeric' }],
  output: { name: 'logits', transform: 'softmax' },
  classes: ['red', 'green', 'blue'],
  label: 'colour',
};

const keysDir = mkdtempSync(join(tmpdir(), 'mloop-keys-'));
const serverKey = generateSigningKey();
const strangerKey = generateSigningKey();
writeFileSync(join(keysDir, 'server.pem'), serverKey.privateKey);
writeFileSync(join(keysDir, 'server.pub.pem'), serverKey.publicKey);
writeFileSync(join(keysDir, 'stranger.pem'), strangerKey.privateKey);

let signer: TempWorkspace; // signs what it hands out; takes ONNX uploads
let strict: TempWorkspace; // accepts only bundles signed by the signer's key, and no ONNX file
let signerApp: FastifyInstance;
let strictApp: FastifyInstance;
let annotator: string;

beforeAll(async () => {
  signer = await tempWorkspace({ env: { MLOOP_REGISTRY_SIGNING_KEY: join(keysDir, 'server.pem') } });
  strict = await tempWorkspace({ env: { MLOOP_REGISTRY_TRUSTED_KEYS: ` ${join(keysDir, 'server.pub.pem')} `, MLOOP_REGISTRY_REQUIRE_SIGNATURE: 'true' } });
  await signer.ws.registry.registerVersion('eng', { model: 'support', task: 'text-classification', record, files: [{ name: 'model.json', data: '{"w":[1,2,3]}' }] });
  await signer.ws.auth.createUser(localPrincipal(), 'ann', ['annotator:tickets']);
  annotator = (await signer.ws.auth.createToken(localPrincipal(), { user: 'ann' })).token;
  signerApp = await buildServer(signer.ws);
  strictApp = await buildServer(strict.ws);
});
afterAll(async () => {
  await signerApp?.close();
  await strictApp?.close();
  await signer?.cleanup();
  await strict?.cleanup();
  rmSync(keysDir, { recursive: true, force: true });
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const uploadBundle = (body: Buffer, query: string) =>
  strictApp.inject({ method: 'POST', url: `/v1/models/import${query}`, headers: { ...auth(strict.adminToken), 'content-type': 'application/octet-stream' }, payload: body });

/** A multipart/form-data body with text fields and files, as curl -F builds it. */
function form(parts: Array<{ name: string; value: string | Buffer; filename?: string }>): { body: Buffer; type: string } {
  const boundary = '----mlooptest7MA4YWxkTrZu0gW';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`;
    const type = p.filename === undefined ? '' : 'Content-Type: application/octet-stream\r\n';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}
const uploadForm = (parts: Parameters<typeof form>[0], query = '?name=torch', token = signer.adminToken, app = signerApp) => {
  const f = form(parts);
  return app.inject({ method: 'POST', url: `/v1/models/import${query}`, headers: { ...auth(token), 'content-type': f.type }, payload: f.body });
};

describe('bundles signed and verified by the server', () => {
  it('signs downloads with registry.signingKey; a strict server accepts them and names the key', async () => {
    const res = await signerApp.inject({ url: '/v1/models/support/versions/1/bundle', headers: auth(signer.adminToken) });
    expect(res.statusCode).toBe(200);
    const bundle = res.rawPayload;
    expect(bundle.includes(Buffer.from('manifest.sig'))).toBe(true);
    const r = await uploadBundle(bundle, '?name=copy');
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ ref: 'copy@1', signed_by: serverKey.keyId, source: { model: 'support', version: 1 } });
  });

  it('refuses unsigned bundles and bundles signed by an untrusted key, leaving no version', async () => {
    const out = join(keysDir, 'unsigned.mloop');
    await signer.ws.registry.exportBundle('eng', 'support@1', out);
    const unsigned = await uploadBundle(readFileSync(out), '?name=unsigned');
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.json().error).toMatchObject({ code: 'PERMISSION_DENIED', message: 'the bundle is not signed and a signature is required' });

    await signer.ws.registry.exportBundle('eng', 'support@1', out, { signingKey: strangerKey.privateKey, force: true });
    const stranger = await uploadBundle(readFileSync(out), '?name=stranger');
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json().error).toMatchObject({ code: 'PERMISSION_DENIED', message: 'the bundle signature does not verify against any trusted key' });
    expect((await strict.ws.registry.listModels()).map((m) => m.name)).toEqual(['copy']);
  });

  it('will not start with a missing key file, or with requireSignature and no trusted key', async () => {
    const missing = await tempWorkspace({ env: { MLOOP_REGISTRY_SIGNING_KEY: join(keysDir, 'nope.pem') } });
    const noKeys = await tempWorkspace({ env: { MLOOP_REGISTRY_REQUIRE_SIGNATURE: '1' } });
    try {
      await expect(buildServer(missing.ws)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/nope\.pem named by registry\.signingKey: ENOENT/) });
      await expect(buildServer(noKeys.ws)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/registry\.trustedKeys names no key/) });
    } finally {
      await missing.cleanup();
      await noKeys.cleanup();
    }
  });
});

describe('ONNX models uploaded as multipart/form-data', () => {
  const onnx = readFileSync(join(ONNX_FIXTURES, 'torch-classifier.onnx'));
  const expected = JSON.parse(readFileSync(join(ONNX_FIXTURES, 'expected-torch-classifier.json'), 'utf8')) as { columns: Record<string, number[]>; probabilities: number[][] };

  it('registers a PyTorch model that then predicts what PyTorch computed; the same upload again is the same version', async () => {
    const r = await uploadForm([{ name: 'schema', value: JSON.stringify(schema) }, { name: 'model', value: onnx, filename: 'torch-classifier.onnx' }]);
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ ref: 'torch@1', created: true, record: { learner: 'onnx', classes: ['red', 'green', 'blue'] } });
    const version = await signer.ws.registry.resolve('torch@1');
    const predictor = await loadModel(signer.ws.registry, version);
    const n = expected.probabilities.length;
    const p = predictor.predictProba(Object.fromEntries(Object.entries(expected.columns).map(([k, v]) => [k, Float64Array.from(v)])), n);
    const want = expected.probabilities.flat();
    expect(Math.max(...want.map((w, i) => Math.abs(w - p[i]!)))).toBeLessThan(1e-6);
    const again = await uploadForm([{ name: 'schema', value: JSON.stringify(schema) }, { name: 'model', value: onnx, filename: 'm.onnx' }]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ ref: 'torch@1', created: false });
  });

  it('takes the schema as a file part too, as `curl -F schema=@schema.json` (docs/onnx.md) sends it', async () => {
    const r = await uploadForm([{ name: 'schema', value: JSON.stringify(schema), filename: 'schema.json' }, { name: 'model', value: onnx, filename: 'classifier.onnx' }], '?name=curl-torch');
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ ref: 'curl-torch@1', created: true, record: { learner: 'onnx', classes: ['red', 'green', 'blue'], label: 'colour' } });
    // either order
    const reversed = await uploadForm([{ name: 'model', value: onnx, filename: 'classifier.onnx' }, { name: 'schema', value: JSON.stringify(schema), filename: 'schema.json' }], '?name=curl-torch');
    expect(reversed.statusCode, reversed.body).toBe(200);
    const tooLarge = await uploadForm([{ name: 'schema', value: Buffer.alloc(1024 ** 2 + 1, 0x20), filename: 'schema.json' }, { name: 'model', value: onnx, filename: 'm.onnx' }], '?name=bad');
    expect(tooLarge.statusCode).toBe(429);
    expect(tooLarge.json().error.message).toMatch(/schema part is larger than the limit of 1048576 bytes/);
  });

  it('names what is wrong with a bad upload and registers nothing', async () => {
    const cases: Array<[Parameters<typeof form>[0], string, RegExp]> = [
      [[{ name: 'model', value: onnx, filename: 'm.onnx' }], '?name=bad', /part 'schema' is missing/],
      [[{ name: 'schema', value: JSON.stringify(schema) }], '?name=bad', /part 'model' .* is missing/],
      [[{ name: 'schema', value: '{not json' }, { name: 'model', value: onnx, filename: 'm.onnx' }], '?name=bad', /schema part is not valid JSON/],
      [[{ name: 'schema', value: JSON.stringify(schema) }, { name: 'model', value: Buffer.from('definitely not protobuf'), filename: 'm.onnx' }], '?name=bad', /ONNX/],
      [[{ name: 'schema', value: JSON.stringify({ ...schema, inputs: [{ input: 'nope', columns: ['a'], kind: 'numeric' }] }) }, { name: 'model', value: onnx, filename: 'm.onnx' }], '?name=bad', /nope/],
      [[{ name: 'schema', value: JSON.stringify(schema) }, { name: 'model', value: onnx, filename: 'm.onnx' }], '', /\?name=<model> is required/],
      [[{ name: 'schema', value: JSON.stringify(schema) }, { name: 'weights', value: onnx, filename: 'm.onnx' }], '?name=bad', /part named 'model'/],
      [[{ name: 'schema', value: '{not json', filename: 'schema.json' }, { name: 'model', value: onnx, filename: 'm.onnx' }], '?name=bad', /schema part is not valid JSON/],
      [[{ name: 'schema', value: JSON.stringify(schema) }, { name: 'schema', value: JSON.stringify(schema), filename: 's.json' }], '?name=bad', /part 'schema' is sent twice/],
      [[{ name: 'model', value: onnx, filename: 'a.onnx' }, { name: 'model', value: onnx, filename: 'b.onnx' }], '?name=bad', /part 'model' is sent twice/],
    ];
    for (const [parts, query, message] of cases) {
      const r = await uploadForm(parts, query);
      expect(r.statusCode, `${query} ${r.body}`).toBe(400);
      expect(r.json().error.message).toMatch(message);
    }
    expect((await signer.ws.registry.listModels()).map((m) => m.name)).not.toContain('bad');
  });

  it('is refused under registry.requireSignature (an ONNX file carries no signature), as unsigned bundles are; the signed bundle of the imported version is accepted', async () => {
    const parts = [{ name: 'schema', value: JSON.stringify(schema) }, { name: 'model', value: onnx, filename: 'm.onnx' }];
    const refused = await uploadForm(parts, '?name=unsigned-onnx', strict.adminToken, strictApp);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/ONNX file cannot carry a signature and a signature is required/) });
    expect(refused.json().error.message).toMatch(/bring that version here as a signed bundle/);
    expect((await strict.ws.registry.listModels()).map((m) => m.name)).not.toContain('unsigned-onnx');
    // The way in: import where the policy is off, and hand out the version as a signed bundle.
    const imported = await uploadForm(parts, '?name=onnx-src');
    expect(imported.statusCode, imported.body).toBeLessThan(300);
    const bundle = await signerApp.inject({ url: '/v1/models/onnx-src/versions/1/bundle', headers: auth(signer.adminToken) });
    const accepted = await uploadBundle(bundle.rawPayload, '?name=signed-onnx');
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toMatchObject({ ref: 'signed-onnx@1', signed_by: serverKey.keyId, record: { learner: 'onnx' } });
  });

  it('needs a token that may write models', async () => {
    const f = form([{ name: 'schema', value: JSON.stringify(schema) }, { name: 'model', value: onnx, filename: 'm.onnx' }]);
    expect((await signerApp.inject({ method: 'POST', url: '/v1/models/import?name=x', headers: { 'content-type': f.type }, payload: f.body })).statusCode).toBe(401);
    expect((await uploadForm([{ name: 'schema', value: JSON.stringify(schema) }, { name: 'model', value: onnx, filename: 'm.onnx' }], '?name=x', annotator)).statusCode).toBe(403);
  });
});
