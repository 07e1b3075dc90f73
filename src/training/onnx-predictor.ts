/** The `onnx` learner: imported ONNX models (see registry `importOnnx`) run by onnxruntime. */
import { MloopError } from '../errors/index.js';
import { ONNX_MODEL_FILE, ONNX_SCHEMA_FILE, OnnxRunner, parseOnnxSchema, type Task, type VersionFile } from '../registry/index.js';
import type { ColumnBatch, InputSpec, Predictor } from './predictor.js';

/** A predictor over an imported ONNX model. */
export class OnnxPredictor implements Predictor {
  readonly learner = 'onnx' as const;
  readonly report: Record<string, unknown> = {};
  constructor(
    readonly task: Task,
    readonly inputs: readonly InputSpec[],
    private readonly runner: OnnxRunner,
    private readonly files: ReadonlyMap<string, Buffer>,
  ) {}
  get classes(): readonly string[] | null {
    return this.runner.schema.classes;
  }
  predictProba(batch: ColumnBatch, n: number): Float64Array {
    if (this.task === 'regression') throw MloopError.failedPrecondition('a regression model predicts values, not classes');
    return this.runner.predictProba(batch, n);
  }
  predictValues(batch: ColumnBatch, n: number): Float64Array {
    if (this.task !== 'regression') throw MloopError.failedPrecondition('a classifier predicts classes, not values');
    return this.runner.predictValues(batch, n);
  }
  toFiles(): VersionFile[] {
    return [
      { name: ONNX_MODEL_FILE, data: this.files.get(ONNX_MODEL_FILE)!, mediaType: 'application/octet-stream' },
      { name: ONNX_SCHEMA_FILE, data: this.files.get(ONNX_SCHEMA_FILE)!.toString('utf8'), mediaType: 'application/json' },
    ];
  }
}

/** Rebuilds the predictor of an imported version from its `model.onnx` and `onnx-schema.json`. */
export function loadOnnxPredictor(files: ReadonlyMap<string, Buffer>, inputs: InputSpec[], task: Task): Predictor {
  const model = files.get(ONNX_MODEL_FILE);
  const schemaBytes = files.get(ONNX_SCHEMA_FILE);
  if (!model || !schemaBytes) throw MloopError.invalidArgument(`an onnx model version needs ${ONNX_MODEL_FILE} and ${ONNX_SCHEMA_FILE}`);
  let raw: unknown;
  try {
    raw = JSON.parse(schemaBytes.toString('utf8'));
  } catch (err) {
    throw MloopError.invalidArgument(`${ONNX_SCHEMA_FILE} is not valid JSON`, { cause: err });
  }
  const schema = parseOnnxSchema(raw);
  if (schema.task !== task) throw MloopError.invalidArgument(`${ONNX_SCHEMA_FILE} says task ${schema.task} but the version is ${task}`);
  return new OnnxPredictor(task, inputs, OnnxRunner.load(model, schema), files);
}
