/**
 * The schema of an imported ONNX model (`schema.json`): which columns feed which graph input,
 * which output holds the scores, and the classes. Checked on its own, then against the model.
 */
import { MloopError, type ValidationIssue } from '../errors/index.js';
import { TASKS, type Task } from './registry.js';
import type { OnnxValueInfo } from './onnx-session.js';

export const ONNX_SCHEMA_FORMAT = 'mloop.onnx-schema/1';

/** How a column's values reach the graph. */
export type OnnxColumnKind = 'numeric' | 'categorical' | 'text';

/** One graph input and the columns that fill it, in order along its last axis. */
export interface OnnxSchemaInput {
  /** The graph input's name. */
  input: string;
  /** Columns, in order: shape [N, columns.length] (or [N] for one column). */
  columns: string[];
  /** numeric → a float/double/int tensor (missing = NaN); categorical and text → a string tensor (missing = ""). */
  kind: OnnxColumnKind;
}

/** The output that carries predictions. */
export interface OnnxSchemaOutput {
  /** The graph output's name. */
  name: string;
  /**
   * Turns the output into probabilities (classification): `none` (already probabilities),
   * `softmax` (logits over classes) or `sigmoid` (one logit per row for classes[1], or one per class).
   */
  transform: 'none' | 'softmax' | 'sigmoid';
}

/** A validated `schema.json`. */
export interface OnnxSchema {
  format: typeof ONNX_SCHEMA_FORMAT;
  task: Task;
  inputs: OnnxSchemaInput[];
  output: OnnxSchemaOutput;
  /** Class names in the order of the output's columns (classification). */
  classes: string[] | null;
  /** The label column, for evaluation on a dataset (optional). */
  label?: string;
}

const KINDS = ['numeric', 'categorical', 'text'] as const;
const TRANSFORMS = ['none', 'softmax', 'sigmoid'] as const;

/**
 * Parses and checks a schema; INVALID_ARGUMENT with one issue per problem.
 *
 * @example
 * parseOnnxSchema({ task: 'regression', inputs: [{ input: 'X', columns: ['a', 'b'], kind: 'numeric' }], output: { name: 'y' } });
 */
export function parseOnnxSchema(raw: unknown): OnnxSchema {
  const issues: ValidationIssue[] = [];
  const add = (path: string, code: string, message: string): void => void issues.push({ path, code, message });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw MloopError.validation('invalid ONNX schema', [{ path: '', code: 'invalid_type', message: 'the schema must be a JSON object' }]);
  const r = raw as Record<string, unknown>;
  if (r['format'] !== undefined && r['format'] !== ONNX_SCHEMA_FORMAT) add('format', 'invalid_value', `format must be '${ONNX_SCHEMA_FORMAT}'`);
  const task = r['task'] as Task;
  if (!TASKS.includes(task)) add('task', 'invalid_value', `task must be one of ${TASKS.join(', ')}`);
  const inputs: OnnxSchemaInput[] = [];
  if (!Array.isArray(r['inputs']) || r['inputs'].length === 0) add('inputs', 'invalid_type', 'inputs must be a non-empty array');
  else {
    const seenInputs = new Set<string>();
    const seenColumns = new Set<string>();
    (r['inputs'] as unknown[]).forEach((x, i) => {
      const o = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
      const input = o['input'];
      const columns = o['columns'] ?? (typeof o['column'] === 'string' ? [o['column']] : undefined);
      const kind = o['kind'] as OnnxColumnKind;
      if (typeof input !== 'string' || input === '') add(`inputs.${i}.input`, 'invalid_type', 'input must name a graph input');
      else if (seenInputs.has(input)) add(`inputs.${i}.input`, 'duplicate', `graph input '${input}' is listed twice`);
      else seenInputs.add(input);
      if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c === '')) {
        add(`inputs.${i}.columns`, 'invalid_type', 'columns must be a non-empty array of column names');
      } else {
        for (const c of columns as string[]) {
          if (seenColumns.has(c)) add(`inputs.${i}.columns`, 'duplicate', `column '${c}' feeds two inputs`);
          seenColumns.add(c);
        }
      }
      if (!KINDS.includes(kind)) add(`inputs.${i}.kind`, 'invalid_value', `kind must be one of ${KINDS.join(', ')}`);
      if (typeof input === 'string' && Array.isArray(columns) && KINDS.includes(kind)) inputs.push({ input, columns: [...(columns as string[])], kind });
    });
  }
  const out = (typeof r['output'] === 'object' && r['output'] !== null ? r['output'] : {}) as Record<string, unknown>;
  if (typeof out['name'] !== 'string' || out['name'] === '') add('output.name', 'invalid_type', 'output.name must name a graph output');
  const transform = (out['transform'] ?? 'none') as OnnxSchemaOutput['transform'];
  if (!TRANSFORMS.includes(transform)) add('output.transform', 'invalid_value', `output.transform must be one of ${TRANSFORMS.join(', ')}`);
  let classes: string[] | null = null;
  if (task === 'regression') {
    if (r['classes'] !== undefined && r['classes'] !== null) add('classes', 'unexpected', 'a regression model has no classes');
    if (transform !== 'none') add('output.transform', 'invalid_value', 'a regression output takes no transform');
  } else {
    const c = r['classes'];
    if (!Array.isArray(c) || c.length < 2 || c.some((x) => typeof x !== 'string' || x === '')) add('classes', 'invalid_type', 'classes must list at least two class names, in the order of the output columns');
    else if (new Set(c).size !== c.length) add('classes', 'duplicate', 'classes must be distinct');
    else classes = [...(c as string[])];
  }
  if (task === 'text-classification' && inputs.some((i) => i.kind !== 'text')) add('inputs', 'invalid_value', 'a text classifier reads text inputs only');
  if (task !== 'text-classification' && inputs.some((i) => i.kind === 'text')) add('inputs', 'invalid_value', `a ${task} model reads numeric or categorical inputs`);
  if (r['label'] !== undefined && typeof r['label'] !== 'string') add('label', 'invalid_type', 'label must be a column name');
  if (issues.length > 0) throw MloopError.validation(`invalid ONNX schema: ${issues[0]!.path}: ${issues[0]!.message}`, issues);
  return {
    format: ONNX_SCHEMA_FORMAT,
    task,
    inputs,
    output: { name: out['name'] as string, transform },
    classes,
    ...(typeof r['label'] === 'string' ? { label: r['label'] } : {}),
  };
}

const NUMERIC_TYPES = ['float32', 'float64', 'int32', 'int64'];

/**
 * Checks a schema against a model's inputs and outputs: every graph input is fed exactly once,
 * types and widths agree, and the output is a numeric tensor. Returns one issue per problem.
 */
export function checkSchemaAgainstModel(schema: OnnxSchema, inputs: readonly OnnxValueInfo[], outputs: readonly OnnxValueInfo[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const byName = new Map(inputs.map((i) => [i.name, i]));
  schema.inputs.forEach((s, i) => {
    const m = byName.get(s.input);
    if (!m) {
      issues.push({ path: `inputs.${i}.input`, code: 'unknown_input', message: `the model has no input '${s.input}' (its inputs: ${inputs.map((x) => x.name).join(', ')})` });
      return;
    }
    if (!m.isTensor) issues.push({ path: `inputs.${i}.input`, code: 'unsupported', message: `input '${s.input}' is not a tensor` });
    const wantString = s.kind !== 'numeric';
    if (wantString && m.type !== 'string') issues.push({ path: `inputs.${i}.kind`, code: 'type_mismatch', message: `input '${s.input}' is ${m.type} but ${s.kind} columns need a string tensor` });
    if (!wantString && !NUMERIC_TYPES.includes(m.type)) issues.push({ path: `inputs.${i}.kind`, code: 'type_mismatch', message: `input '${s.input}' is ${m.type}; numeric columns need ${NUMERIC_TYPES.join(', ')}` });
    if (m.shape.length === 1 && s.columns.length !== 1) issues.push({ path: `inputs.${i}.columns`, code: 'shape_mismatch', message: `input '${s.input}' is one column wide ([N]) but the schema gives ${s.columns.length} columns` });
    else if (m.shape.length === 2 && typeof m.shape[1] === 'number' && m.shape[1] !== s.columns.length) {
      issues.push({ path: `inputs.${i}.columns`, code: 'shape_mismatch', message: `input '${s.input}' has ${m.shape[1]} columns but the schema gives ${s.columns.length}` });
    } else if (m.shape.length < 1 || m.shape.length > 2) issues.push({ path: `inputs.${i}.input`, code: 'shape_mismatch', message: `input '${s.input}' has rank ${m.shape.length}; only [N] and [N, C] inputs are supported` });
  });
  const fed = new Set(schema.inputs.map((s) => s.input));
  for (const m of inputs) if (!fed.has(m.name)) issues.push({ path: 'inputs', code: 'missing_input', message: `the model's input '${m.name}' is not fed by any column in the schema` });
  const out = outputs.find((o) => o.name === schema.output.name);
  if (!out) issues.push({ path: 'output.name', code: 'unknown_output', message: `the model has no output '${schema.output.name}' (its outputs: ${outputs.map((x) => x.name).join(', ')})` });
  else if (!out.isTensor) issues.push({ path: 'output.name', code: 'unsupported', message: `output '${out.name}' is a sequence or map (scikit-learn's ZipMap?); pick a tensor output, e.g. convert with options={'zipmap': False}` });
  else if (out.type !== 'float32' && out.type !== 'float64') issues.push({ path: 'output.name', code: 'type_mismatch', message: `output '${out.name}' is ${out.type}; scores must be float32 or float64` });
  else {
    const width = out.shape.length === 2 ? out.shape[1] : out.shape.length === 1 ? 1 : undefined;
    const k = schema.classes?.length ?? 1;
    if (out.shape.length > 2) issues.push({ path: 'output.name', code: 'shape_mismatch', message: `output '${out.name}' has rank ${out.shape.length}; only [N] and [N, K] outputs are supported` });
    else if (typeof width === 'number' && !(width === k || (k === 2 && width === 1))) {
      issues.push({ path: schema.classes ? 'classes' : 'output.name', code: 'shape_mismatch', message: `output '${out.name}' has ${width} columns but the schema expects ${k}${k === 2 ? ' (or 1: the probability of the second class)' : ''}` });
    }
  }
  return issues;
}
