/**
 * ONNX in and out of the registry: `exportOnnx` writes a version's model as an ONNX file;
 * `importOnnx` checks an ONNX file made elsewhere against its schema and registers it as a
 * version whose learner is `onnx` (served, evaluated and gated like any other).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../artifacts/index.js';
import { MLOOP_VERSION } from '../config/index.js';
import { MloopError } from '../errors/index.js';
import type { GbdtModelJson, LinearModelJson } from '../training/index.js';
import { decodeModel } from './onnx-builder.js';
import { gbdtToOnnx, linearToOnnx, type OnnxExportInfo } from './onnx-export.js';
import { OnnxRunner, type OnnxColumns } from './onnx-runner.js';
import { parseOnnxSchema, type OnnxSchema } from './onnx-schema.js';
import { OnnxSession } from './onnx-session.js';
import type { ModelDescription, ModelVersion } from './registry.js';
import { refuseExistingOutput, type RegistryService } from './registry-service.js';

/** Artifact names of an imported ONNX version. */
export const ONNX_MODEL_FILE = 'model.onnx';
export const ONNX_SCHEMA_FILE = 'onnx-schema.json';

/** Learners whose versions export to ONNX. */
export const ONNX_EXPORTABLE_LEARNERS = Object.freeze(['gbdt', 'linear', 'onnx'] as const);

/** Largest ONNX file `importOnnx` reads (512 MiB). */
export const MAX_ONNX_BYTES = 512 * 1024 ** 2;

/** Result of {@link exportOnnx}. */
export interface OnnxExportResult {
  ref: string;
  output: string;
  bytes: number;
  sha256: string;
  inputs: OnnxExportInfo['inputs'];
  outputs: string[];
  classes: string[] | null;
}

/** The ONNX bytes of a version, without writing them. FAILED_PRECONDITION for learners that do not export. */
export async function onnxBytesOf(registry: RegistryService, version: ModelVersion): Promise<{ bytes: Uint8Array; info: OnnxExportInfo }> {
  const json = async <T>(name: string): Promise<T> => JSON.parse((await registry.readArtifact(version, name)).toString('utf8')) as T;
  const learner = version.record.learner;
  if (learner === 'gbdt') return gbdtToOnnx(await json<GbdtModelJson>('gbdt-model.json'), { ref: version.ref });
  if (learner === 'linear') return linearToOnnx(await json<LinearModelJson>('linear-model.json'), { ref: version.ref });
  if (learner === 'onnx') {
    const bytes = await registry.readArtifact(version, ONNX_MODEL_FILE);
    const schema = parseOnnxSchema(await json<unknown>(ONNX_SCHEMA_FILE));
    const inputs = schema.inputs.flatMap((i) => i.columns.map((name) => ({ name, type: (i.kind === 'numeric' ? 'double' : 'string') as 'double' | 'string', kind: (i.kind === 'numeric' ? 'numeric' : 'categorical') as 'numeric' | 'categorical' })));
    return { bytes, info: { inputs, outputs: [schema.output.name], classes: schema.classes } };
  }
  if (learner === 'text-softmax') {
    throw MloopError.failedPrecondition(
      "text models do not export to ONNX: their tokeniser (a Unicode regex for words, character n-grams inside padded words) has no equivalent among the standard ONNX operators",
      { hint: "export a bundle instead ('mloop models export <ref> --output model.mloop'); docs/onnx.md explains", details: { learner } },
    );
  }
  throw MloopError.failedPrecondition(`learner '${learner}' does not export to ONNX; exportable learners: ${ONNX_EXPORTABLE_LEARNERS.join(', ')}`, { details: { learner } });
}

/**
 * Writes the ONNX graph of `ref` to `output` (atomically: temp file, fsync, rename). The graph
 * is loaded by onnxruntime before it is written, so a file that exists is a loadable model.
 * An existing `output` is refused (ALREADY_EXISTS) unless `force` is set.
 *
 * @example
 * await exportOnnx(ws.registry, 'churn@champion', '/tmp/churn.onnx');
 */
export async function exportOnnx(registry: RegistryService, ref: string, output: string, options: { force?: boolean } = {}): Promise<OnnxExportResult> {
  const version = await registry.resolve(ref);
  refuseExistingOutput(output, options.force);
  const { bytes, info } = await onnxBytesOf(registry, version);
  OnnxSession.load(bytes, `the exported graph of ${version.ref}`).dispose();
  await writeFileAtomic(output, bytes);
  return { ref: version.ref, output, bytes: bytes.length, sha256: sha256(bytes), inputs: info.inputs, outputs: info.outputs, classes: info.classes };
}

/** Options of {@link importOnnx}. */
export interface OnnxImportOptions {
  /** Model name to register under. */
  name: string;
  /** The schema (parsed `schema.json`). */
  schema: unknown;
  description?: ModelDescription;
  notes?: string;
  /**
   * The policy that only signed models may enter the registry (`registry.requireSignature`,
   * `--require-signature`). An ONNX file cannot carry a signature, so with it the import is
   * refused (PERMISSION_DENIED) before the file is read; see {@link checkOnnxImportAllowed}.
   */
  requireSignature?: boolean;
}

/**
 * Refuses an ONNX import when a signature is required: an ONNX file has no place for mloop's
 * signature (it covers a bundle's manifest), so none could ever verify. PERMISSION_DENIED, as an
 * unsigned bundle gets; the message names the way in: a signed bundle of the imported version.
 */
export function checkOnnxImportAllowed(options: { requireSignature?: boolean }): void {
  if (options.requireSignature !== true) return;
  throw MloopError.permissionDenied(
    'an ONNX file cannot carry a signature and a signature is required, so ONNX imports are refused: import the .onnx file where no signature is required, then bring that version here as a signed bundle',
    { hint: "'mloop models export <model>@<N> --output model.mloop --sign key.pem' writes the signed bundle; docs/onnx.md explains", details: { requireSignature: true } },
  );
}

/**
 * Registers an ONNX file made elsewhere. Checks, in order: the file is an ONNX ModelProto,
 * onnxruntime loads it, the schema is valid and matches the graph's inputs and output, and one
 * probe row runs with the output width the schema expects. Importing the same file with the
 * same schema again returns the first version. With `requireSignature` it is refused first.
 *
 * @example
 * await importOnnx(ws.registry, 'alice', 'model.onnx', { name: 'churn-torch', schema: JSON.parse(readFileSync('schema.json', 'utf8')) });
 */
export async function importOnnx(registry: RegistryService, actor: string, path: string, options: OnnxImportOptions): Promise<{ version: ModelVersion; created: boolean }> {
  checkOnnxImportAllowed(options);
  const bytes = readOnnxFile(path);
  const proto = parseProto(bytes, path);
  const schema = parseOnnxSchema(options.schema);
  const runner = OnnxRunner.load(bytes, schema);
  try {
    probe(runner, schema);
  } finally {
    runner.dispose();
  }
  const schemaJson = JSON.stringify(schema, null, 2);
  const opsets = Object.fromEntries(proto.opsetImport.map((o) => [o.domain || 'ai.onnx', Number(o.version)]));
  const producer = `${proto.producerName || 'unknown'}${proto.producerVersion ? ` ${proto.producerVersion}` : ''}`;
  const modelSha = sha256(bytes);
  const columns = schema.inputs.flatMap((i) => i.columns.map((name) => ({ name, type: i.kind })));
  return registry.registerVersion(actor, {
    model: options.name,
    task: schema.task,
    runKey: `onnx:${modelSha}:${sha256(Buffer.from(schemaJson))}`,
    record: {
      datasets: [],
      inputSchema: columns,
      ...(schema.label === undefined ? {} : { label: schema.label }),
      ...(schema.classes === null ? {} : { classes: schema.classes }),
      learner: 'onnx',
      params: { onnx: { producer, ir_version: Number(proto.irVersion), opsets, sha256: modelSha, output: schema.output } },
      seed: 0,
      codeVersion: `${producer} (imported by mloop ${MLOOP_VERSION})`,
      metrics: {},
      extra: { onnx_inputs: schema.inputs },
    },
    files: [
      { name: ONNX_MODEL_FILE, data: bytes, mediaType: 'application/octet-stream' },
      { name: ONNX_SCHEMA_FILE, data: schemaJson, mediaType: 'application/json' },
    ],
    tags: { imported_from: 'onnx', producer },
    ...(options.notes === undefined ? {} : { notes: options.notes }),
    ...(options.description === undefined ? {} : { description: options.description }),
  });
}

function readOnnxFile(path: string): Buffer {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw MloopError.notFound('file', path);
    throw MloopError.invalidArgument(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
  if (size > MAX_ONNX_BYTES) throw MloopError.resourceExhausted(`${path} is ${size} bytes; ONNX imports are limited to ${MAX_ONNX_BYTES} bytes`);
  return readFileSync(path);
}

/** The decoded ModelProto; INVALID_ARGUMENT when the bytes are not one. */
function parseProto(bytes: Uint8Array, path: string) {
  const notOnnx = (why: string, cause?: unknown): MloopError =>
    MloopError.invalidArgument(`${path} is not an ONNX model: ${why}`, { hint: 'pass a .onnx file (ModelProto); a .mloop bundle imports without --schema', ...(cause === undefined ? {} : { cause }) });
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) throw notOnnx('it is a zip archive');
  let proto;
  try {
    proto = decodeModel(bytes);
  } catch (err) {
    throw notOnnx('it does not decode as an ONNX ModelProto', err);
  }
  if (!proto.graph || Number(proto.irVersion) <= 0 || proto.opsetImport.length === 0) throw notOnnx('it has no graph, IR version or opset');
  return proto;
}

/** Runs one row of neutral values (0, "") and checks the output has the width the schema expects. */
function probe(runner: OnnxRunner, schema: OnnxSchema): void {
  const batch: OnnxColumns = {};
  for (const i of schema.inputs) for (const c of i.columns) batch[c] = i.kind === 'numeric' ? Float64Array.of(0) : ['probe'];
  const { width } = runner.scores(batch, 1);
  const k = schema.classes?.length ?? 1;
  if (!(width === k || (k === 2 && width === 1))) {
    throw MloopError.validation(`the ONNX model does not match its schema: output '${schema.output.name}' gives ${width} values per row, the schema expects ${k}`, [
      { path: schema.classes ? 'classes' : 'output.name', code: 'shape_mismatch', message: `output '${schema.output.name}' gives ${width} values per row, the schema expects ${k}` },
    ]);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
