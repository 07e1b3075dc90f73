import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MloopError } from '../errors/index.js';
import { mulberry32 } from '../stats/index.js';
import { getLearner, loadModel, type ColumnBatch, type InputSpec } from '../training/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { exportOnnx, generateSigningKey, importOnnx, type VersionRecord } from './index.js';

// Fixtures made by PyTorch and python3-onnx: see test-support/onnx/make_fixtures.py (regenerate there).
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'test-support', 'onnx');
const fixture = (name: string): string => join(FIXTURES, name);
const expected = <T>(name: string): T => JSON.parse(readFileSync(fixture(name), 'utf8')) as T;

let t: TempWorkspace;
beforeAll(async () => {
  t = await tempWorkspace();
});
afterAll(async () => t.cleanup());

const failure = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as MloopError | undefined;

const classifierSchema = {
  task: 'tabular-classification',
  inputs: [{ input: 'features', columns: ['a', 'b', 'c'], kind: 'numeric' }],
  output: { name: 'logits', transform: 'softmax' },
  classes: ['red', 'green', 'blue'],
  label: 'colour',
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('ONNX import: models made by other tools predict what those tools computed', () => {
  it('a PyTorch MLP (logits + softmax, dynamic batch)', async () => {
    const want = expected<{ columns: Record<string, number[]>; probabilities: number[][] }>('expected-torch-classifier.json');
    const { version, created } = await importOnnx(t.ws.registry, 'alice', fixture('torch-classifier.onnx'), { name: 'torch-mlp', schema: classifierSchema });
    expect(created).toBe(true);
    expect(version.record).toMatchObject({ learner: 'onnx', classes: ['red', 'green', 'blue'], label: 'colour', inputSchema: [{ name: 'a', type: 'numeric' }, { name: 'b', type: 'numeric' }, { name: 'c', type: 'numeric' }] });
    expect(version.record.codeVersion).toMatch(/^pytorch/);
    const predictor = await loadModel(t.ws.registry, version);
    const batch: ColumnBatch = Object.fromEntries(Object.entries(want.columns).map(([k, v]) => [k, Float64Array.from(v)]));
    const p = predictor.predictProba(batch, want.probabilities.length);
    expect(maxAbsDiff(p, want.probabilities.flat())).toBeLessThan(1e-6);
    expect(predictor.classes).toEqual(['red', 'green', 'blue']);
    // the same file and schema again: the first version
    const again = await importOnnx(t.ws.registry, 'alice', fixture('torch-classifier.onnx'), { name: 'torch-mlp', schema: classifierSchema });
    expect(again).toMatchObject({ created: false, version: { version: version.version } });
  });

  it('a PyTorch regressor exported with a fixed batch of 1 (fed row by row)', async () => {
    const want = expected<{ columns: Record<string, number[]>; values: number[] }>('expected-torch-regressor-b1.json');
    const { version } = await importOnnx(t.ws.registry, 'alice', fixture('torch-regressor-b1.onnx'), {
      name: 'torch-reg',
      schema: { task: 'regression', inputs: [{ input: 'x', columns: ['u', 'v'], kind: 'numeric' }], output: { name: 'y' } },
    });
    const predictor = await loadModel(t.ws.registry, version);
    const v = predictor.predictValues({ u: Float64Array.from(want.columns['u']!), v: Float64Array.from(want.columns['v']!) }, want.values.length);
    expect(maxAbsDiff(v, want.values)).toBeLessThan(1e-6);
  });

  it('an onnx.helper graph with numeric and string inputs and one probability column', async () => {
    const want = expected<{ columns: { tenure: number[]; spend: number[]; plan: Array<string | null> }; p_yes: number[] }>('expected-onnx-helper-mixed.json');
    const { version } = await importOnnx(t.ws.registry, 'alice', fixture('onnx-helper-mixed.onnx'), {
      name: 'helper-mixed',
      schema: {
        task: 'tabular-classification',
        inputs: [
          { input: 'num', columns: ['tenure', 'spend'], kind: 'numeric' },
          { input: 'plan', columns: ['plan'], kind: 'categorical' },
        ],
        output: { name: 'p_yes' },
        classes: ['no', 'yes'],
      },
    });
    const predictor = await loadModel(t.ws.registry, version);
    const n = want.p_yes.length;
    const p = predictor.predictProba({ tenure: Float64Array.from(want.columns.tenure), spend: Float64Array.from(want.columns.spend), plan: want.columns.plan }, n);
    expect(maxAbsDiff(Array.from({ length: n }, (_, i) => p[2 * i + 1]!), want.p_yes)).toBeLessThan(1e-6);
    expect(maxAbsDiff(Array.from({ length: n }, (_, i) => p[2 * i]! + p[2 * i + 1]!), new Array(n).fill(1))).toBeLessThan(1e-12);
  });
});

describe('ONNX import: bad input is refused with a clear error and registers nothing', () => {
  const refused = async (path: string, schema: unknown, name = 'refused') => {
    const err = await failure(importOnnx(t.ws.registry, 'alice', path, { name, schema }));
    expect(err?.name).toBe('MloopError');
    expect((await t.ws.registry.listModels()).map((m) => m.name)).not.toContain(name);
    return err!;
  };

  it('files that are not ONNX', async () => {
    const text = join(t.dir, 'notes.onnx');
    writeFileSync(text, 'this is not a model\n');
    const zip = join(t.dir, 'bundle.onnx');
    writeFileSync(zip, Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(64)]));
    const random = join(t.dir, 'random.onnx');
    const r = mulberry32(3);
    writeFileSync(random, Uint8Array.from({ length: 4096 }, () => Math.floor(r() * 256)));
    for (const path of [text, zip, random]) {
      const err = await refused(path, classifierSchema);
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toMatch(/not an ONNX model|not a model onnxruntime can load/);
    }
    expect((await refused(join(t.dir, 'missing.onnx'), classifierSchema)).code).toBe('NOT_FOUND');
  });

  it('schemas that do not match the model, one issue per problem', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...classifierSchema, inputs: [{ input: 'x', columns: ['a', 'b', 'c'], kind: 'numeric' }] }, /no input 'x'/],
      [{ ...classifierSchema, inputs: [{ input: 'features', columns: ['a', 'b'], kind: 'numeric' }] }, /has 3 columns but the schema gives 2/],
      [{ ...classifierSchema, inputs: [{ input: 'features', columns: ['a', 'b', 'c'], kind: 'categorical' }] }, /float32 but categorical columns need a string tensor/],
      [{ ...classifierSchema, output: { name: 'probabilities' } }, /no output 'probabilities'/],
      [{ ...classifierSchema, classes: ['red', 'green'] }, /3 columns but the schema expects 2|3 values per row, the schema expects 2/],
      [{ ...classifierSchema, task: 'regression', classes: undefined, output: { name: 'logits' } }, /expects 1/],
      [{ ...classifierSchema, task: 'image-classification' }, /task must be one of/],
    ];
    for (const [schema, message] of cases) {
      const err = await refused(fixture('torch-classifier.onnx'), schema);
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(JSON.stringify([err.message, err.details])).toMatch(message);
      expect(Array.isArray(err.details?.['issues'])).toBe(true);
    }
    const helper = await refused(fixture('onnx-helper-mixed.onnx'), {
      task: 'tabular-classification',
      inputs: [{ input: 'num', columns: ['tenure', 'spend'], kind: 'numeric' }],
      output: { name: 'p_yes' },
      classes: ['no', 'yes'],
    });
    expect(helper.message).toMatch(/input 'plan' is not fed/);
  });

  it('any ONNX file when a signature is required (it cannot carry one); its signed bundle is the way in', async () => {
    const refusedHere = async (options: { requireSignature?: boolean }) => failure(importOnnx(t.ws.registry, 'alice', fixture('torch-classifier.onnx'), { name: 'unsigned-onnx', schema: classifierSchema, ...options }));
    const err = await refusedHere({ requireSignature: true });
    expect(err).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/ONNX file cannot carry a signature and a signature is required.*signed bundle/) });
    expect(err?.hint).toMatch(/--sign/);
    expect((await t.ws.registry.listModels()).map((m) => m.name)).not.toContain('unsigned-onnx');
    expect(await refusedHere({ requireSignature: false })).toBeUndefined();

    const key = generateSigningKey();
    const other = await tempWorkspace();
    try {
      const bundle = join(t.dir, 'unsigned-onnx.mloop');
      await t.ws.registry.exportBundle('alice', 'unsigned-onnx@1', bundle, { signingKey: key.privateKey });
      const r = await other.ws.registry.importBundle('bob', bundle, { trustedKeys: [key.publicKey], requireSignature: true });
      expect(r).toMatchObject({ created: true, signedBy: key.keyId, version: { ref: 'unsigned-onnx@1', record: { learner: 'onnx' } } });
    } finally {
      await other.cleanup();
    }
  });
});

describe('ONNX export → import: an mloop model round-trips through ONNX', () => {
  const INPUTS: InputSpec[] = [
    { name: 'x', kind: 'numeric' },
    { name: 'city', kind: 'categorical' },
  ];
  function data(n: number, seed: number) {
    const r = mulberry32(seed);
    const x = Float64Array.from({ length: n }, () => (r() < 0.1 ? NaN : r() * 10));
    const city = Array.from({ length: n }, () => (r() < 0.1 ? null : ['oslo', 'lima', 'pune', 'kyiv', 'rome', 'suva'][Math.floor(r() * 6)]!));
    const y = Array.from({ length: n }, (_, i) => ((Number.isNaN(x[i]!) ? 5 : x[i]!) + (city[i] === 'pune' || city[i] === 'suva' ? 3 : 0) + r() * 3 > 8 ? 'yes' : 'no'));
    return { batch: { x, city } as ColumnBatch, y, n };
  }

  it('gives the same probabilities as the native version, and text models say why they do not export', async () => {
    const train = data(500, 5);
    const predictor = await getLearner('gbdt', 'tabular-classification').train({ task: 'tabular-classification', inputs: INPUTS, label: 'y', train: { batch: train.batch, labels: train.y, n: train.n }, params: { maxRounds: 30, minSamplesLeaf: 5 }, seed: 1 }, {});
    const record: VersionRecord = { datasets: ['synthetic@1'], inputSchema: INPUTS.map((i) => ({ name: i.name, type: i.kind })), label: 'y', classes: [...predictor.classes!], learner: 'gbdt', params: {}, seed: 1, codeVersion: 'test', metrics: {} };
    const { version } = await t.ws.registry.registerVersion('alice', { model: 'native', task: 'tabular-classification', record, files: predictor.toFiles() });
    const out = join(t.dir, 'native.onnx');
    const exported = await exportOnnx(t.ws.registry, version.ref, out);
    expect(exported).toMatchObject({ ref: 'native@1', outputs: ['label', 'probabilities'], classes: predictor.classes });
    const schema = {
      task: 'tabular-classification',
      inputs: exported.inputs.map((i) => ({ input: i.name, columns: [i.name], kind: i.kind })),
      output: { name: 'probabilities' },
      classes: exported.classes,
    };
    const imported = await importOnnx(t.ws.registry, 'bob', out, { name: 'native-onnx', schema });
    const held = data(300, 6);
    const native = await loadModel(t.ws.registry, version);
    const viaOnnx = await loadModel(t.ws.registry, imported.version);
    expect(maxAbsDiff(viaOnnx.predictProba(held.batch, held.n), native.predictProba(held.batch, held.n))).toBeLessThan(1e-12);
    // an imported model exports as the very file it came from
    const again = await exportOnnx(t.ws.registry, imported.version.ref, join(t.dir, 'again.onnx'));
    expect(readFileSync(join(t.dir, 'again.onnx')).equals(readFileSync(out))).toBe(true);
    expect(again.sha256).toBe(exported.sha256);

    const text = await t.ws.registry.registerVersion('alice', { model: 'texty', task: 'text-classification', record: { ...record, learner: 'text-softmax' }, files: [{ name: 'text-model.json', data: '{}' }] });
    const err = await failure(exportOnnx(t.ws.registry, text.version.ref, join(t.dir, 'text.onnx')));
    expect(err).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/text models do not export to ONNX/) });
    expect(await failure(exportOnnx(t.ws.registry, 'native@1', join(t.dir, 'no-such-dir', 'x.onnx')))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
