/**
 * A small writer of ONNX graphs over the protobuf messages of `onnx-proto`: unique value names,
 * typed constants (doubles kept bit-exact in raw little-endian data), nodes with attributes, and
 * the serialised ModelProto.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX tensor element types used here (TensorProto.DataType). */
export const ELEM = Object.freeze({ FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, DOUBLE: 11 } as const);
export type ElemType = (typeof ELEM)[keyof typeof ELEM];

/** An attribute value, tagged by its ONNX kind. */
export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { strings: readonly string[] }
  | { t: OnnxTypes.ITensorProto };

/** A dimension: a fixed size or a symbolic name such as `N`. */
export type Dim = number | string;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A tensor of doubles, stored as raw little-endian float64 (exact). */
export function doubleTensor(values: readonly number[], dims: readonly number[], name = ''): OnnxTypes.ITensorProto {
  const data = Float64Array.from(values);
  return { name, dataType: ELEM.DOUBLE, dims: [...dims], rawData: new Uint8Array(data.buffer) };
}

/** A tensor of float32 values. */
export function floatTensor(values: readonly number[], dims: readonly number[], name = ''): OnnxTypes.ITensorProto {
  const data = Float32Array.from(values);
  return { name, dataType: ELEM.FLOAT, dims: [...dims], rawData: new Uint8Array(data.buffer) };
}

/** A tensor of int64 values (each a safe integer). */
export function int64Tensor(values: readonly number[], dims: readonly number[], name = ''): OnnxTypes.ITensorProto {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return { name, dataType: ELEM.INT64, dims: [...dims], rawData: new Uint8Array(data.buffer) };
}

/** A tensor of uint8 values. */
export function uint8Tensor(values: readonly number[], dims: readonly number[], name = ''): OnnxTypes.ITensorProto {
  return { name, dataType: ELEM.UINT8, dims: [...dims], rawData: Uint8Array.from(values) };
}

/** A tensor of UTF-8 strings. */
export function stringTensor(values: readonly string[], dims: readonly number[], name = ''): OnnxTypes.ITensorProto {
  return { name, dataType: ELEM.STRING, dims: [...dims], stringData: values.map(utf8) };
}

function attribute(name: string, value: Attr): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in value) return { name, type: T.INT, i: value.i };
  if ('f' in value) return { name, type: T.FLOAT, f: value.f };
  if ('s' in value) return { name, type: T.STRING, s: utf8(value.s) };
  if ('ints' in value) return { name, type: T.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  if ('strings' in value) return { name, type: T.STRINGS, strings: value.strings.map(utf8) };
  return { name, type: T.TENSOR, t: value.t };
}

function valueInfo(name: string, elem: ElemType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: elem, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** Builds one graph: inputs, constants, nodes and outputs, then the model bytes. */
export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  /** A fresh value name starting with `prefix`. */
  fresh(prefix: string): string {
    let name = `${prefix}_${this.counter++}`;
    while (this.used.has(name)) name = `${prefix}_${this.counter++}`;
    this.used.add(name);
    return name;
  }

  /** Declares a graph input; its name must be unique. */
  input(name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  /** Declares `value` as a graph output named `name` (an Identity node renames it). */
  output(value: string, name: string, elem: ElemType, dims: readonly Dim[]): void {
    this.used.add(name);
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: this.fresh('Identity') });
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** A constant initializer; returns its name. */
  constant(tensor: OnnxTypes.ITensorProto, prefix = 'const'): string {
    const name = this.fresh(prefix);
    this.initializers.push({ ...tensor, name });
    return name;
  }

  /** A double constant of shape `dims` (scalar when `dims` is empty). */
  doubles(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(doubleTensor(values, dims), 'c');
  }

  /** An int64 constant of shape `dims`. */
  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(int64Tensor(values, dims), 'c');
  }

  /** Adds a node with one output; returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, domain = ''): string {
    const out = this.fresh(opType);
    this.nodes.push({
      opType,
      domain,
      name: this.fresh(`${opType}_node`),
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** The serialised ModelProto. */
  toBytes(options: { opsets: Record<string, number>; producerVersion: string; docString?: string; metadata?: Record<string, string>; graphName?: string }): Uint8Array {
    const model: OnnxTypes.IModelProto = {
      irVersion: 8,
      producerName: 'mloop',
      producerVersion: options.producerVersion,
      docString: options.docString ?? '',
      opsetImport: Object.entries(options.opsets).map(([domain, version]) => ({ domain, version })),
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: options.graphName ?? 'mloop',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}

/** Decodes ONNX model bytes; throws whatever protobuf throws on malformed input. */
export function decodeModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
