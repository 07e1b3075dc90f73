import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../../errors/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { main } from '../program.js';

const FIXTURES = fileURLToPath(new URL('../../registry/test-support/onnx/', import.meta.url));

let t: TempWorkspace;
beforeAll(async () => {
  t = await tempWorkspace();
  await t.ws.close();
});
afterAll(async () => t.cleanup().catch(() => undefined));

async function mloop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await main(['--workspace', t.dir, ...args], { stdout: out, stderr: err, env: {}, cwd: t.dir });
  return { code, stdout, stderr };
}

describe('mloop models import model.onnx --schema / export --format onnx', () => {
  it('imports a PyTorch model, evaluates and gates it on a dataset, and exports it back', async () => {
    const want = JSON.parse(readFileSync(join(FIXTURES, 'expected-torch-classifier.json'), 'utf8')) as { columns: Record<string, number[]>; classes: string[]; probabilities: number[][] };
    copyFileSync(join(FIXTURES, 'torch-classifier.onnx'), join(t.dir, 'mlp.onnx'));
    writeFileSync(
      join(t.dir, 'schema.json'),
      JSON.stringify({ task: 'tabular-classification', inputs: [{ input: 'features', columns: ['a', 'b', 'c'], kind: 'numeric' }], output: { name: 'logits', transform: 'softmax' }, classes: want.classes, label: 'colour' }),
    );
    // labels = PyTorch's own top class, so accuracy must be 1
    const top = want.probabilities.map((p) => want.classes[p.indexOf(Math.max(...p))]!);
    const csv = ['a,b,c,colour', ...top.map((c, i) => `${want.columns['a']![i]},${want.columns['b']![i]},${want.columns['c']![i]},${c}`)].join('\n');
    writeFileSync(join(t.dir, 'colours.csv'), `${csv}\n`);
    const data = await mloop('data', 'import', join(t.dir, 'colours.csv'), '--name', 'colours', '--label', 'colour');
    expect(data.code, data.stderr).toBe(0);

    const imported = await mloop('--json', 'models', 'import', 'mlp.onnx', '--name', 'mlp', '--schema', 'schema.json');
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ ref: 'mlp@1', created: true, record: { learner: 'onnx' } });

    writeFileSync(join(t.dir, 'gate.json'), JSON.stringify({ rules: [{ metric: 'accuracy', min: 0.99 }] }));
    const evaluated = await mloop('--json', 'eval', 'mlp@1', 'colours@1', '--gate', 'gate.json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).metrics.accuracy).toBe(1);

    const exported = await mloop('models', 'export', 'mlp@1', '--format', 'onnx', '--output', 'back.onnx');
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/Wrote mlp@1 to .*back\.onnx as ONNX/);
    expect(readFileSync(join(t.dir, 'back.onnx')).equals(readFileSync(join(t.dir, 'mlp.onnx')))).toBe(true);
  });

  it('refuses bad input with error codes and hints', async () => {
    writeFileSync(join(t.dir, 'junk.onnx'), 'not a model');
    writeFileSync(join(t.dir, 'bad-schema.json'), '{ "task": ');
    const noSchema = await mloop('models', 'import', 'junk.onnx', '--name', 'junk');
    expect(noSchema.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
    expect(noSchema.stderr).toMatch(/needs --schema/);
    const badSchema = await mloop('models', 'import', 'junk.onnx', '--name', 'junk', '--schema', 'bad-schema.json');
    expect(badSchema.stderr).toMatch(/not valid JSON/);
    const junk = await mloop('models', 'import', 'junk.onnx', '--name', 'junk', '--schema', 'schema.json');
    expect(junk.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
    expect(junk.stderr).toMatch(/error\[INVALID_ARGUMENT\]: .*junk\.onnx is not an ONNX model/);
    const unsigned = await mloop('models', 'import', 'mlp.onnx', '--name', 'unsigned', '--schema', 'schema.json', '--require-signature');
    expect(unsigned.code).toBe(EXIT_CODE.PERMISSION_DENIED);
    expect(unsigned.stderr).toMatch(/error\[PERMISSION_DENIED\]: an ONNX file cannot carry a signature and a signature is required/);
    expect(unsigned.stderr).toMatch(/hint: .*--sign key\.pem/);
    expect((await mloop('models', 'show', 'unsigned')).code).toBe(EXIT_CODE.NOT_FOUND);
    // An existing output is refused without --force, for ONNX files and bundles, as `mloop predict` does.
    const before = readFileSync(join(t.dir, 'back.onnx'));
    writeFileSync(join(t.dir, 'back.onnx'), 'keep me');
    const exists = await mloop('models', 'export', 'mlp@1', '--format', 'onnx', '--output', 'back.onnx');
    expect(exists.code).toBe(EXIT_CODE.ALREADY_EXISTS);
    expect(exists.stderr).toMatch(/error\[ALREADY_EXISTS\]: file '.*back\.onnx' already exists/);
    expect(exists.stderr).toMatch(/hint: pass --force to replace it/);
    expect(readFileSync(join(t.dir, 'back.onnx'), 'utf8')).toBe('keep me');
    expect((await mloop('models', 'export', 'mlp@1', '--format', 'onnx', '--output', 'back.onnx', '--force')).code).toBe(0);
    expect(readFileSync(join(t.dir, 'back.onnx')).equals(before)).toBe(true);
    expect((await mloop('models', 'export', 'mlp@1', '--output', 'mlp.mloop')).code).toBe(0);
    const bundle = readFileSync(join(t.dir, 'mlp.mloop'));
    const again = await mloop('models', 'export', 'mlp@1', '--output', 'mlp.mloop');
    expect(again.code).toBe(EXIT_CODE.ALREADY_EXISTS);
    expect(readFileSync(join(t.dir, 'mlp.mloop')).equals(bundle)).toBe(true);
    expect((await mloop('models', 'export', 'mlp@1', '--output', 'mlp.mloop', '--force')).code).toBe(0);
    const format = await mloop('models', 'export', 'mlp@1', '--format', 'pmml', '--output', 'x.pmml');
    expect(format.code).toBe(EXIT_CODE.INVALID_ARGUMENT);
    expect(format.stderr).toMatch(/valid formats: mloop, onnx/);
    expect(existsSync(join(t.dir, 'x.pmml'))).toBe(false);
  });
});
