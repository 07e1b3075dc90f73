/**
 * Predictors: one interface over every learner's model, with data-only serialisation to and from
 * registry files. The learners table (`LEARNERS`) is the one place that knows which exist.
 */
import { MloopError } from '../errors/index.js';
import type { Task, VersionFile } from '../registry/index.js';
import { GbdtModel, LinearModel, trainGbdt, trainLinear, type FeatureSpec, type GbdtModelJson, type LinearModelJson } from './tabular/index.js';
import { TextModel, trainTextClassifier, type TextModelManifest } from './text/index.js';
import { loadOnnxPredictor } from './onnx-predictor.js';

/** Columns of a batch: numbers (NaN = missing) or strings (null = missing), all of one length. */
export type ColumnBatch = Record<string, Float64Array | ReadonlyArray<string | null>>;

/** One input a model reads. */
export interface InputSpec {
  name: string;
  kind: 'text' | 'numeric' | 'categorical';
}

/** Progress of a training run, the same for every learner. */
export interface TrainProgress {
  stage: string;
  done: number;
  total: number;
}

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

/** A trained or loaded model. */
export interface Predictor {
  readonly learner: LearnerId;
  readonly task: Task;
  /** Classes in probability-column order; null for regression. */
  readonly classes: readonly string[] | null;
  readonly inputs: readonly InputSpec[];
  /** Row-major n×k calibrated probabilities (classification). */
  predictProba(batch: ColumnBatch, n: number): Float64Array;
  /** Predicted values (regression). */
  predictValues(batch: ColumnBatch, n: number): Float64Array;
  /**
   * Calibrated probabilities and an in-scope score per row from one pass, for out-of-scope
   * rejection (higher = more like the training classes; `inScopeScore` names it). Optional: see
   * {@link predictWithInScope}, which falls back to the top calibrated probability.
   */
  predictWithInScope?(batch: ColumnBatch, n: number): { proba: Float64Array; inScope: Float64Array };
  /** What `predictWithInScope` scores; absent with it. */
  readonly inScopeScore?: InScopeScore;
  /** Data-only files for the registry. */
  toFiles(): VersionFile[];
  /** What training reported (warnings, calibration, iterations). */
  readonly report: Record<string, unknown>;
}

/**
 * The score out-of-scope rejection thresholds: `max_logit`, the text learner's top uncalibrated
 * logit (it ranks unseen intents below known ones better than the calibrated probability, which
 * temperature scaling pulls towards the top-two margin), or `max_probability`, the top calibrated
 * probability of learners without a score of their own.
 */
export type InScopeScore = 'max_logit' | 'max_probability';

/**
 * Probabilities and in-scope scores of a classifier's rows in one pass: the predictor's own score
 * when it has one, else the top calibrated probability.
 *
 * @example
 * const { proba, inScope, score } = predictWithInScope(predictor, batch, n); // score 'max_logit' for text models
 */
export function predictWithInScope(p: Predictor, batch: ColumnBatch, n: number): { proba: Float64Array; inScope: Float64Array; score: InScopeScore } {
  if (p.predictWithInScope !== undefined && p.inScopeScore !== undefined) return { ...p.predictWithInScope(batch, n), score: p.inScopeScore };
  if (p.classes === null) throw MloopError.failedPrecondition('out-of-scope scores need a classifier');
  const proba = p.predictProba(batch, n);
  const k = p.classes.length;
  const inScope = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = proba[i * k]!;
    for (let c = 1; c < k; c++) if (proba[i * k + c]! > best) best = proba[i * k + c]!;
    inScope[i] = best;
  }
  return { proba, inScope, score: 'max_probability' };
}

export interface TrainInput {
  task: Task;
  inputs: InputSpec[];
  label: string;
  train: { batch: ColumnBatch; labels: ReadonlyArray<string> | Float64Array; n: number };
  /** Held-out rows a learner may calibrate on (never fit weights on); the text learner fits its temperature there instead of holding out training rows. */
  validation?: { batch: ColumnBatch; labels: ReadonlyArray<string> | Float64Array; n: number };
  params: Record<string, unknown>;
  seed: number;
}

interface Learner {
  readonly id: string;
  readonly tasks: readonly Task[];
  readonly doc: string;
  /** Why `mloop train` cannot use it, for learners that only run models made elsewhere. */
  readonly untrainable?: { reason: string; hint: string };
  train(input: TrainInput, hooks: TrainHooks): Promise<Predictor>;
  load(files: ReadonlyMap<string, Buffer>, inputs: InputSpec[], task: Task): Predictor;
}

// ---------- text ----------

class TextPredictor implements Predictor {
  readonly learner = 'text-softmax' as const;
  readonly task: Task = 'text-classification';
  constructor(
    private readonly model: TextModel,
    readonly inputs: readonly InputSpec[],
    readonly report: Record<string, unknown>,
  ) {}
  get classes(): readonly string[] {
    return this.model.labels;
  }
  private texts(batch: ColumnBatch, n: number): Array<string | null> {
    const column = batch[this.inputs[0]!.name];
    if (!column || column instanceof Float64Array) throw MloopError.invalidArgument(`text column '${this.inputs[0]!.name}' is missing`);
    const texts = new Array<string | null>(n);
    for (let i = 0; i < n; i++) texts[i] = column[i] ?? null;
    return texts;
  }
  predictProba(batch: ColumnBatch, n: number): Float64Array {
    return new Float64Array(this.model.predictProba(this.texts(batch, n)).probs);
  }
  readonly inScopeScore = 'max_logit' as const;
  predictWithInScope(batch: ColumnBatch, n: number): { proba: Float64Array; inScope: Float64Array } {
    const { probs, inScope } = this.model.predictProbaWithInScope(this.texts(batch, n));
    return { proba: new Float64Array(probs), inScope };
  }
  predictValues(): Float64Array {
    throw MloopError.failedPrecondition('a text classifier predicts classes, not values');
  }
  toFiles(): VersionFile[] {
    const { manifest, buffers } = this.model.toArtifacts();
    return [
      { name: 'text-model.json', data: JSON.stringify(manifest) },
      ...Object.entries(buffers).map(([name, arr]) => ({ name: `buffer.${name}.f32`, data: Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength) })),
    ];
  }
}

function float32From(buf: Buffer, name: string): Float32Array {
  if (buf.length % 4 !== 0) throw MloopError.invalidArgument(`model file ${name} is not a float32 array`);
  const copy = new ArrayBuffer(buf.length);
  new Uint8Array(copy).set(buf);
  return new Float32Array(copy);
}

function json<T>(files: ReadonlyMap<string, Buffer>, name: string): T {
  const buf = files.get(name);
  if (!buf) throw MloopError.invalidArgument(`the model version has no ${name}`);
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (err) {
    throw MloopError.invalidArgument(`${name} is not valid JSON`, { cause: err });
  }
}

const textLearner: Learner = {
  id: 'text-softmax',
  tasks: ['text-classification'],
  doc: 'TF-IDF (word 1–2-grams, char_wb 2–5-grams) + multinomial logistic regression, temperature-scaled',
  async train(input, hooks) {
    const textCol = input.inputs[0]!;
    const column = input.train.batch[textCol.name] as ReadonlyArray<string | null>;
    const v = input.validation;
    const validation =
      v !== undefined && input.params['holdoutFraction'] === undefined && input.params['validation'] === undefined
        ? { validation: { texts: Array.from({ length: v.n }, (_, i) => ((v.batch[textCol.name] as ReadonlyArray<string | null> | undefined)?.[i] ?? null)), labels: v.labels as string[] } }
        : {};
    const result = await trainTextClassifier(column, input.train.labels as string[], { ...(input.params as object), ...validation, softmax: { seed: input.seed, ...((input.params['softmax'] as object) ?? {}) } }, {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onProgress: (p) => hooks.onProgress?.({ stage: p.stage, done: p.done, total: p.total }),
    });
    return new TextPredictor(result.model, input.inputs, result.report as unknown as Record<string, unknown>);
  },
  load(files, inputs) {
    const manifest = json<TextModelManifest>(files, 'text-model.json');
    const buffers: Record<string, Float32Array> = {};
    for (const [name, buf] of files) {
      const m = /^buffer\.(.+)\.f32$/.exec(name);
      if (m) buffers[m[1]!] = float32From(buf, name);
    }
    return new TextPredictor(TextModel.fromArtifacts({ manifest, buffers }), inputs, {});
  },
};

// ---------- tabular ----------

type TabularModel = GbdtModel | LinearModel;

class TabularPredictor implements Predictor {
  constructor(
    readonly learner: 'gbdt' | 'linear',
    readonly task: Task,
    private readonly model: TabularModel,
    readonly inputs: readonly InputSpec[],
    readonly report: Record<string, unknown>,
  ) {}
  get classes(): readonly string[] | null {
    return this.model.classes;
  }
  private table(batch: ColumnBatch) {
    const columns: Record<string, Float64Array | ReadonlyArray<string | null>> = {};
    for (const input of this.inputs) {
      const c = batch[input.name];
      if (c === undefined) throw MloopError.invalidArgument(`feature column '${input.name}' is missing`);
      columns[input.name] = c;
    }
    return { columns };
  }
  predictProba(batch: ColumnBatch, n: number): Float64Array {
    const rows = this.model.predictProba(this.table(batch));
    const k = this.model.classes!.length;
    const out = new Float64Array(n * k);
    rows.forEach((p, i) => out.set(p, i * k));
    return out;
  }
  predictValues(batch: ColumnBatch): Float64Array {
    return Float64Array.from(this.model.predict(this.table(batch)) as number[]);
  }
  toFiles(): VersionFile[] {
    return [{ name: `${this.learner}-model.json`, data: JSON.stringify(this.model.toJSON()) }];
  }
}

function featureSpecs(inputs: readonly InputSpec[]): FeatureSpec[] {
  return inputs.map((i) => ({ name: i.name, kind: i.kind === 'numeric' ? 'numeric' : 'categorical' }));
}

function tabularTable(input: TrainInput) {
  return { columns: { ...input.train.batch, [input.label]: input.train.labels as Float64Array | ReadonlyArray<string> } };
}

const gbdtLearner: Learner = {
  id: 'gbdt',
  tasks: ['tabular-classification', 'regression'],
  doc: 'histogram gradient-boosted trees (native missing and categorical handling, early stopping)',
  async train(input, hooks) {
    const model = await trainGbdt(
      tabularTable(input),
      input.label,
      { ...(input.params as object), task: input.task === 'regression' ? 'regression' : 'classification', features: featureSpecs(input.inputs), seed: input.seed },
      {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onProgress: (p) => hooks.onProgress?.({ stage: p.stage, done: p.iteration, total: p.maxIterations }),
      },
    );
    return new TabularPredictor('gbdt', input.task, model, input.inputs, model.report as unknown as Record<string, unknown>);
  },
  load(files, inputs, task) {
    return new TabularPredictor('gbdt', task, GbdtModel.fromJSON(json<GbdtModelJson>(files, 'gbdt-model.json')), inputs, {});
  },
};

const linearLearner: Learner = {
  id: 'linear',
  tasks: ['tabular-classification', 'regression'],
  doc: 'regularised logistic/linear regression with standardisation and one-hot encoding',
  async train(input, hooks) {
    const model = await trainLinear(
      tabularTable(input),
      input.label,
      { ...(input.params as object), task: input.task === 'regression' ? 'regression' : 'classification', features: featureSpecs(input.inputs), seed: input.seed },
      {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onProgress: (p) => hooks.onProgress?.({ stage: p.stage, done: p.iteration, total: p.maxIterations }),
      },
    );
    return new TabularPredictor('linear', input.task, model, input.inputs, model.report as unknown as Record<string, unknown>);
  },
  load(files, inputs, task) {
    return new TabularPredictor('linear', task, LinearModel.fromJSON(json<LinearModelJson>(files, 'linear-model.json')), inputs, {});
  },
};

const onnxLearner: Learner = {
  id: 'onnx',
  tasks: ['text-classification', 'tabular-classification', 'regression'],
  doc: 'a model trained elsewhere and imported as ONNX (mloop models import model.onnx --schema schema.json), run by onnxruntime',
  untrainable: { reason: "the 'onnx' learner runs imported models and does not train", hint: "import one with 'mloop models import model.onnx --name <model> --schema schema.json'" },
  train() {
    return Promise.reject(MloopError.invalidArgument(onnxLearner.untrainable!.reason, { hint: onnxLearner.untrainable!.hint }));
  },
  load(files, inputs, task) {
    return loadOnnxPredictor(files, inputs, task);
  },
};

/** Every learner, by id. The default per task comes first in `DEFAULT_LEARNER`. */
export const LEARNERS = Object.freeze({ 'text-softmax': textLearner, gbdt: gbdtLearner, linear: linearLearner, onnx: onnxLearner });
export type LearnerId = keyof typeof LEARNERS;

export const DEFAULT_LEARNER: Readonly<Record<Task, LearnerId>> = Object.freeze({
  'text-classification': 'text-softmax',
  'tabular-classification': 'gbdt',
  regression: 'gbdt',
});

/**
 * The learner `id`, checked against `task`; INVALID_ARGUMENT listing the valid ones otherwise.
 * `purpose` `train` (default) accepts and lists only learners that train (not `onnx`, which runs
 * imported models); `load` any learner that can run a stored version of the task.
 */
export function getLearner(id: string, task: Task, purpose: 'train' | 'load' = 'train'): Learner {
  const learner = Object.hasOwn(LEARNERS, id) ? LEARNERS[id as LearnerId] : undefined;
  const valid = Object.values(LEARNERS)
    .filter((l) => l.tasks.includes(task) && (purpose === 'load' || l.untrainable === undefined))
    .map((l) => l.id);
  if (!learner || !learner.tasks.includes(task)) {
    throw MloopError.invalidArgument(`unknown learner '${id}' for ${task}; valid learners: ${valid.join(', ')}`);
  }
  const untrainable = learner.untrainable;
  if (purpose === 'train' && untrainable !== undefined) throw MloopError.invalidArgument(`${untrainable.reason}; learners that train ${task}: ${valid.join(', ')}`, { hint: untrainable.hint });
  return learner;
}

/** Rebuilds a predictor from a version's files. */
export function loadPredictor(learner: string, task: Task, inputs: InputSpec[], files: ReadonlyMap<string, Buffer>): Predictor {
  return getLearner(learner, task, 'load').load(files, inputs, task);
}
