/**
 * The Open Inference Protocol (KServe v2) REST shapes: tensors in, tensors out. Request tensors
 * are turned into rows for the same validation as the plain JSON endpoint.
 */
import { MloopError, type ValidationIssue } from '../errors/index.js';
import type { InputSpec } from '../training/index.js';
import type { LoadedModel } from './inference.js';
import type { ServedPrediction } from './serving-runtime.js';

/** One tensor of a request or response. */
export interface OipTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

const NUMERIC_TYPES = new Set(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64']);

function datatypeOf(kind: InputSpec['kind']): string {
  return kind === 'numeric' ? 'FP64' : 'BYTES';
}

/** Model metadata (`GET /v2/models/{name}`). */
export function oipMetadata(name: string, model: LoadedModel) {
  const p = model.predictor;
  const outputs =
    p.classes === null
      ? [{ name: 'value', datatype: 'FP64', shape: [-1] }]
      : [
          { name: 'label', datatype: 'BYTES', shape: [-1] },
          { name: 'probabilities', datatype: 'FP64', shape: [-1, p.classes.length] },
          { name: 'confidence', datatype: 'FP64', shape: [-1] },
        ];
  return {
    name,
    versions: [String(model.version.version)],
    platform: `mloop/${p.learner}`,
    inputs: p.inputs.map((i) => ({ name: i.name, datatype: datatypeOf(i.kind), shape: [-1] })),
    outputs: [...outputs, { name: 'decision', datatype: 'BYTES', shape: [-1] }, { name: 'prediction_id', datatype: 'BYTES', shape: [-1] }],
    // Group (sensitive) columns a request may add as tensors: logged, never given to the model.
    parameters: { model: model.version.model, classes: p.classes, task: model.version.task, group_columns: [...model.groups] },
  };
}

function flatten(data: unknown[]): unknown[] {
  return data.some(Array.isArray) ? (data as unknown[]).flat(Infinity) : data;
}

/**
 * Turns request tensors into rows of fields. Each model input needs a tensor of its name (a
 * model with one input also takes one tensor of any name), of shape `[n]` or `[n, 1]`. Tensors
 * named after a `groups` column (the model's sensitive columns) are carried into the rows too,
 * for the prediction log.
 */
export function oipRows(body: unknown, inputs: readonly InputSpec[], groups: readonly string[] = []): unknown[] {
  const issues: ValidationIssue[] = [];
  const fail = (path: string, code: string, message: string): never => {
    issues.push({ path, code, message });
    throw MloopError.validation(`${path}: ${message}`, issues, { details: { expected: inputs.map((i) => ({ name: i.name, datatype: datatypeOf(i.kind), shape: [-1] })) } });
  };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return fail('body', 'invalid_type', 'expected an inference request object with "inputs"');
  const tensors = (body as { inputs?: unknown }).inputs;
  if (!Array.isArray(tensors) || tensors.length === 0) return fail('inputs', 'required', 'expected a non-empty array of tensors {name, shape, datatype, data}');
  const byName = new Map<string, { tensor: OipTensor; index: number }>();
  tensors.forEach((t, index) => {
    const path = `inputs.${index}`;
    if (t === null || typeof t !== 'object') fail(path, 'invalid_type', 'expected a tensor object');
    const tensor = t as Partial<OipTensor>;
    if (typeof tensor.name !== 'string') fail(`${path}.name`, 'required', 'a tensor needs a name');
    if (!Array.isArray(tensor.shape) || !tensor.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`${path}.shape`, 'invalid_value', 'shape must be an array of non-negative integers');
    if (typeof tensor.datatype !== 'string') fail(`${path}.datatype`, 'required', 'a tensor needs a datatype such as BYTES or FP32');
    if (!Array.isArray(tensor.data)) fail(`${path}.data`, 'required', 'data must be an array');
    byName.set(tensor.name!, { tensor: tensor as OipTensor, index });
  });
  const columns: Array<{ input: InputSpec; values: unknown[] }> = [];
  let n: number | undefined;
  const named = (g: string) => byName.has(g) && !inputs.some((i) => i.name === g);
  const extra = groups.filter(named).map((g): InputSpec => ({ name: g, kind: 'categorical' }));
  const modelTensors = byName.size - extra.length;
  for (const input of [...inputs, ...extra]) {
    let found = byName.get(input.name);
    if (!found && inputs.length === 1 && modelTensors === 1) found = [...byName.entries()].find(([k]) => !extra.some((e) => e.name === k))![1];
    if (!found) return fail('inputs', 'required', `missing tensor '${input.name}' (${datatypeOf(input.kind)}, shape [-1]); the model reads ${inputs.map((i) => i.name).join(', ')}`);
    const { tensor, index } = found;
    const path = `inputs.${index}`;
    const shape = tensor.shape;
    if (shape.length < 1 || shape.length > 2 || (shape.length === 2 && shape[1] !== 1)) fail(`${path}.shape`, 'invalid_value', `'${tensor.name}' must have shape [n] or [n, 1], got [${shape.join(', ')}]`);
    const values = flatten(tensor.data);
    if (values.length !== shape[0]) fail(`${path}.data`, 'invalid_value', `'${tensor.name}' has ${values.length} values but shape [${shape.join(', ')}]`);
    if (n !== undefined && shape[0] !== n) fail(`${path}.shape`, 'invalid_value', `all tensors need the same first dimension (${n}), '${tensor.name}' has ${shape[0]}`);
    n = shape[0];
    const dt = tensor.datatype.toUpperCase();
    if (input.kind === 'text' && dt !== 'BYTES') fail(`${path}.datatype`, 'invalid_value', `'${tensor.name}' is text: send datatype BYTES`);
    if (input.kind === 'numeric' && !NUMERIC_TYPES.has(dt)) fail(`${path}.datatype`, 'invalid_value', `'${tensor.name}' is numeric: send FP32, FP64 or an INT type`);
    columns.push({ input, values: dt === 'BOOL' ? values.map((v) => (typeof v === 'boolean' ? Number(v) : v)) : values });
  }
  const rows: unknown[] = Array.from({ length: n ?? 0 }, () => ({}));
  for (const { input, values } of columns) values.forEach((v, i) => ((rows[i] as Record<string, unknown>)[input.name] = v));
  return rows;
}

/** The inference response: only the requested outputs when the request names some. */
export function oipResponse(name: string, served: ServedPrediction, classes: readonly string[] | null, requestId: unknown, requested: unknown) {
  const n = served.rows.length;
  const all: OipTensor[] = [];
  if (classes === null) all.push({ name: 'value', shape: [n], datatype: 'FP64', data: served.rows.map((r) => r.value) });
  else {
    all.push({ name: 'label', shape: [n], datatype: 'BYTES', data: served.rows.map((r) => r.label) });
    const probs: number[] = [];
    for (const r of served.rows) for (const c of classes) probs.push(r.probabilities![c]!);
    all.push({ name: 'probabilities', shape: [n, classes.length], datatype: 'FP64', data: probs, parameters: { classes } });
    all.push({ name: 'confidence', shape: [n], datatype: 'FP64', data: served.rows.map((r) => r.confidence) });
  }
  all.push({ name: 'decision', shape: [n], datatype: 'BYTES', data: served.rows.map((r) => r.decision) });
  all.push({ name: 'prediction_id', shape: [n], datatype: 'BYTES', data: served.rows.map((r) => r.predictionId) });
  let outputs = all;
  if (Array.isArray(requested) && requested.length > 0) {
    const want = requested.map((o) => (o as { name?: unknown })?.name);
    const unknown = want.filter((w) => typeof w !== 'string' || !all.some((t) => t.name === w));
    if (unknown.length > 0) {
      throw MloopError.validation(`unknown output ${JSON.stringify(unknown[0])}; outputs: ${all.map((t) => t.name).join(', ')}`, [{ path: 'outputs', code: 'invalid_value', message: 'unknown output name' }]);
    }
    outputs = all.filter((t) => want.includes(t.name));
  }
  return {
    model_name: name,
    model_version: String(served.version),
    ...(typeof requestId === 'string' ? { id: requestId } : {}),
    parameters: { model: served.model, role: served.role },
    outputs,
  };
}
