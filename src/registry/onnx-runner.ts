/**
 * Runs an imported ONNX model on column batches as its schema says: columns → input tensors
 * (fixed batch sizes are filled in chunks), the scores output → probabilities or values.
 */
import { MloopError } from '../errors/index.js';
import { OnnxSession, ort, type OnnxValueInfo, type Tensor } from './onnx-session.js';
import { checkSchemaAgainstModel, type OnnxSchema } from './onnx-schema.js';

/** Columns of a batch: numbers (NaN = missing) or strings (null = missing). */
export type OnnxColumns = Record<string, Float64Array | ReadonlyArray<string | null>>;

type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array;

/** An imported model ready to predict. */
export class OnnxRunner {
  private readonly byInput: Map<string, OnnxValueInfo>;
  /** Rows per run when the model's batch dimension is fixed, else null. */
  private readonly fixedBatch: number | null;

  private constructor(
    private readonly session: OnnxSession,
    readonly schema: OnnxSchema,
  ) {
    this.byInput = new Map(session.inputs.map((i) => [i.name, i]));
    const fixed = session.inputs.map((i) => i.shape[0]).filter((d): d is number => typeof d === 'number' && d > 0);
    this.fixedBatch = fixed.length > 0 ? fixed[0]! : null;
  }

  /**
   * Loads `bytes` and checks them against `schema`; INVALID_ARGUMENT naming every mismatch.
   *
   * @example
   * const runner = OnnxRunner.load(readFileSync('model.onnx'), parseOnnxSchema(json));
   */
  static load(bytes: Uint8Array, schema: OnnxSchema): OnnxRunner {
    const session = OnnxSession.load(bytes, 'the ONNX file');
    const issues = checkSchemaAgainstModel(schema, session.inputs, session.outputs);
    if (issues.length > 0) {
      session.dispose();
      throw MloopError.validation(`the ONNX model does not match its schema: ${issues[0]!.message}`, issues, {
        details: { model_inputs: session.inputs, model_outputs: session.outputs },
      });
    }
    return new OnnxRunner(session, schema);
  }

  /** The model's inputs and outputs as onnxruntime reports them. */
  get signature(): { inputs: readonly OnnxValueInfo[]; outputs: readonly OnnxValueInfo[] } {
    return { inputs: this.session.inputs, outputs: this.session.outputs };
  }

  /** Raw scores, row-major n × width, and the width. */
  scores(batch: OnnxColumns, n: number): { values: Float64Array; width: number } {
    if (n === 0) return { values: new Float64Array(0), width: this.schema.classes?.length ?? 1 };
    const chunk = this.fixedBatch ?? n;
    let width = -1;
    let out = new Float64Array(0);
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const feeds: Record<string, Tensor> = {};
      for (const s of this.schema.inputs) feeds[s.input] = this.tensor(s.input, s.columns, s.kind, batch, start, rows, chunk === this.fixedBatch ? chunk : rows);
      const result = this.session.run(feeds, [this.schema.output.name])[this.schema.output.name]!;
      const dims = result.dims;
      const w = dims.length <= 1 ? 1 : dims.slice(1).reduce((a, b) => a * b, 1);
      if (width < 0) {
        width = w;
        out = new Float64Array(n * w);
      } else if (w !== width) throw MloopError.invalidArgument(`the ONNX output '${this.schema.output.name}' changed width between batches (${width} → ${w})`);
      const data = result.data as Float32Array | Float64Array;
      for (let i = 0; i < rows * w; i++) out[start * w + i] = Number(data[i]);
    }
    return { values: out, width: Math.max(width, 0) };
  }

  /** Row-major n × K probabilities in `schema.classes` order. */
  predictProba(batch: OnnxColumns, n: number): Float64Array {
    const classes = this.schema.classes;
    if (classes === null) throw MloopError.failedPrecondition('this ONNX model is a regressor; it predicts values, not classes');
    const K = classes.length;
    const { values, width } = this.scores(batch, n);
    const out = new Float64Array(n * K);
    const transform = this.schema.output.transform;
    if (width === 1 && K === 2) {
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        const p = transform === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v;
        out[2 * i] = 1 - p;
        out[2 * i + 1] = p;
      }
      return out;
    }
    if (width !== K) throw MloopError.invalidArgument(`the ONNX output '${this.schema.output.name}' has ${width} columns but the schema names ${K} classes`);
    for (let i = 0; i < n; i++) {
      if (transform === 'softmax') {
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, values[i * K + k]!);
        let z = 0;
        for (let k = 0; k < K; k++) z += out[i * K + k] = Math.exp(values[i * K + k]! - mx);
        for (let k = 0; k < K; k++) out[i * K + k] = out[i * K + k]! / z;
      } else if (transform === 'sigmoid') {
        for (let k = 0; k < K; k++) out[i * K + k] = 1 / (1 + Math.exp(-values[i * K + k]!));
      } else {
        out.set(values.subarray(i * K, i * K + K), i * K);
      }
    }
    return out;
  }

  /** Predicted values (regression), one per row. */
  predictValues(batch: OnnxColumns, n: number): Float64Array {
    const { values, width } = this.scores(batch, n);
    if (width !== 1) throw MloopError.invalidArgument(`the ONNX output '${this.schema.output.name}' has ${width} values per row; a regressor needs 1`);
    return values;
  }

  dispose(): void {
    this.session.dispose();
  }

  private tensor(input: string, columns: readonly string[], kind: string, batch: OnnxColumns, start: number, rows: number, size: number): Tensor {
    const meta = this.byInput.get(input)!;
    const C = columns.length;
    const dims = meta.shape.length === 1 ? [size] : [size, C];
    const cols = columns.map((name) => {
      const c = batch[name];
      if (c === undefined) throw MloopError.invalidArgument(`column '${name}' is missing (the ONNX input '${input}' needs it)`);
      return c;
    });
    if (kind !== 'numeric') {
      const data = new Array<string>(size * C).fill('');
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < C; j++) {
          const v = cols[j]![start + i];
          data[i * C + j] = v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isNaN(v) ? '' : String(v)) : v;
        }
      }
      return new (ort().Tensor)('string', data, dims);
    }
    const make: Record<string, () => NumericArray> = {
      float32: () => new Float32Array(size * C),
      float64: () => new Float64Array(size * C),
      int32: () => new Int32Array(size * C),
      int64: () => new BigInt64Array(size * C),
    };
    const data = make[meta.type]!();
    for (let j = 0; j < C; j++) {
      const col = cols[j]!;
      if (!(col instanceof Float64Array)) throw MloopError.invalidArgument(`column '${columns[j]}' must be numeric for the ONNX input '${input}'`);
      for (let i = 0; i < rows; i++) {
        const v = col[start + i]!;
        if (data instanceof BigInt64Array || data instanceof Int32Array) {
          if (!Number.isInteger(v)) throw MloopError.invalidArgument(`column '${columns[j]}' row ${start + i}: the ONNX input '${input}' takes integers, got ${v}`);
          if (data instanceof BigInt64Array) data[i * C + j] = BigInt(v);
          else data[i * C + j] = v;
        } else data[i * C + j] = v;
      }
    }
    return new (ort().Tensor)(meta.type as 'float32', data as Float32Array, dims);
  }
}
