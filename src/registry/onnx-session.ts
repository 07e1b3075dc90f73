/**
 * A synchronous onnxruntime session. `Predictor.predictProba` is synchronous, so this uses the
 * native binding of onnxruntime-node directly; its public `run()` only defers this same blocking
 * call with setImmediate, so nothing is lost.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { MloopError } from '../errors/index.js';

type Tensor = Ort.Tensor;

/** Element types onnxruntime reports, by its numeric code. */
const ELEMENT_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64' };

/** One input or output of a model as onnxruntime sees it. */
export interface OnnxValueInfo {
  name: string;
  /** False for sequences and maps (e.g. scikit-learn's ZipMap output). */
  isTensor: boolean;
  /** `float32`, `float64`, `int64`, `string`, …; `unknown` for non-tensors. */
  type: string;
  /** Dimensions: a number when fixed, a name (or -1) when free. */
  shape: Array<number | string>;
}

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: Array<{ name: string; isTensor: boolean; symbolicDimensions: string[]; shape: number[]; type: number }>;
  readonly outputMetadata: Array<{ name: string; isTensor: boolean; symbolicDimensions: string[]; shape: number[]; type: number }>;
  run(feeds: Record<string, Tensor>, fetches: Record<string, null>, options: object): Record<string, Tensor>;
  dispose(): void;
}

interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

// loaded on first use: the native library is large and most commands never need it
let native: NativeBinding | undefined;
let ortModule: typeof Ort | undefined;
function loadBinding(): NativeBinding {
  if (native === undefined) {
    const require = createRequire(import.meta.url);
    ortModule = require('onnxruntime-node') as typeof Ort;
    native = require('onnxruntime-node/dist/binding.js') as NativeBinding;
    native.initOrt();
  }
  return native;
}

/** The onnxruntime-node module (loaded on first use). */
export function ort(): typeof Ort {
  loadBinding();
  return ortModule!;
}

function describe(meta: NativeSession['inputMetadata']): OnnxValueInfo[] {
  return meta.map((m) => ({
    name: m.name,
    isTensor: m.isTensor,
    type: m.isTensor ? (ELEMENT_TYPES[m.type] ?? `type ${m.type}`) : 'unknown',
    shape: m.isTensor ? m.shape.map((d, i) => (d >= 0 ? d : (m.symbolicDimensions[i] || -1))) : [],
  }));
}

/** An ONNX model loaded into onnxruntime (CPU), run synchronously. */
export class OnnxSession {
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  private readonly session: NativeSession;

  private constructor(session: NativeSession) {
    this.session = session;
    this.inputs = describe(session.inputMetadata);
    this.outputs = describe(session.outputMetadata);
  }

  /**
   * Loads model bytes. INVALID_ARGUMENT when onnxruntime cannot load them (not ONNX, unknown
   * operators, inconsistent graph); its reason is kept in the message.
   */
  static load(bytes: Uint8Array, what = 'the model'): OnnxSession {
    const { binding } = loadBinding();
    const session = new binding.InferenceSession();
    try {
      const copy = new Uint8Array(bytes);
      session.loadModel(copy.buffer, copy.byteOffset, copy.byteLength, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    } catch (err) {
      throw MloopError.invalidArgument(`${what} is not a model onnxruntime can load: ${firstLine(err)}`, { cause: err });
    }
    return new OnnxSession(session);
  }

  /** Runs the model on `feeds` and returns the requested outputs. */
  run(feeds: Record<string, Tensor>, outputs: readonly string[]): Record<string, Tensor> {
    const fetches: Record<string, null> = {};
    for (const o of outputs) fetches[o] = null;
    try {
      return this.session.run(feeds, fetches, {});
    } catch (err) {
      throw MloopError.invalidArgument(`the ONNX model failed on this input: ${firstLine(err)}`, { cause: err });
    }
  }

  dispose(): void {
    this.session.dispose();
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 300);
}

export type { Tensor };
