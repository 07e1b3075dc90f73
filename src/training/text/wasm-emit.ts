/**
 * A tiny WebAssembly assembler: just the sections, value types and opcodes the softmax kernel
 * needs (i32/f32/f64 scalars, v128 SIMD, one imported memory). It writes the binary format of the
 * WebAssembly core spec 2.0 (§5) directly, so the kernel's bytes are built in the package, with no
 * toolchain and no file or network access.
 */

/** Value types (§5.3.1). */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb: ${n} is not a u32`);
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new RangeError(`sleb: ${n} is not an i32`);
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Instructions as byte emitters; `memarg` offsets are in bytes, `align` is log2 of the alignment. */
export const op = {
  block: (): number[] => [0x02, 0x40],
  loop: (): number[] => [0x03, 0x40],
  if: (): number[] => [0x04, 0x40],
  end: (): number[] => [0x0b],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  get: (local: number): number[] => [0x20, ...uleb(local)],
  set: (local: number): number[] => [0x21, ...uleb(local)],
  tee: (local: number): number[] => [0x22, ...uleb(local)],
  i32Load: (offset = 0): number[] => [0x28, 2, ...uleb(offset)],
  f32Load: (offset = 0): number[] => [0x2a, 2, ...uleb(offset)],
  f64Load: (offset = 0): number[] => [0x2b, 3, ...uleb(offset)],
  f32Store: (offset = 0): number[] => [0x38, 2, ...uleb(offset)],
  i32Const: (n: number): number[] => [0x41, ...sleb(n)],
  i32GtS: (): number[] => [0x4a],
  i32LeS: (): number[] => [0x4c],
  i32GeU: (): number[] => [0x4f],
  i32Add: (): number[] => [0x6a],
  i32Sub: (): number[] => [0x6b],
  i32Mul: (): number[] => [0x6c],
  i32Shl: (): number[] => [0x74],
  f64Sub: (): number[] => [0xa1],
  f64Mul: (): number[] => [0xa2],
  f32DemoteF64: (): number[] => [0xb6],
  f64PromoteF32: (): number[] => [0xbb],
  v128Load: (offset = 0): number[] => [0xfd, ...uleb(0x00), 2, ...uleb(offset)],
  v128Store: (offset = 0): number[] => [0xfd, ...uleb(0x0b), 2, ...uleb(offset)],
  v128Zero: (): number[] => [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  f32x4Splat: (): number[] => [0xfd, ...uleb(0x13)],
  f32x4Add: (): number[] => [0xfd, ...uleb(0xe4)],
  f32x4Mul: (): number[] => [0xfd, ...uleb(0xe6)],
  unreachable: (): number[] => [0x00],
  /** Loads 8 bytes into the low half of a vector, zeroing the high half. */
  v128Load64Zero: (offset = 0): number[] => [0xfd, ...uleb(0x5d), 3, ...uleb(offset)],
  /** Stores the 8-byte lane `lane` (0 or 1) of a vector. */
  v128Store64Lane: (offset = 0, lane = 0): number[] => [0xfd, ...uleb(0x5b), 3, ...uleb(offset), lane],
  f64x2Splat: (): number[] => [0xfd, ...uleb(0x14)],
  f64x2Add: (): number[] => [0xfd, ...uleb(0xf0)],
  f64x2Mul: (): number[] => [0xfd, ...uleb(0xf2)],
  f32x4DemoteF64x2Zero: (): number[] => [0xfd, ...uleb(0x5e)],
  f64x2PromoteLowF32x4: (): number[] => [0xfd, ...uleb(0x5f)],
} as const;

/** One exported function: its signature, extra locals (after the parameters) and body (without the final `end`). */
export interface WasmFunction {
  name: string;
  params: ValType[];
  locals: ValType[];
  body: number[];
}

/**
 * A module of exported functions (each with its own type, no results) over one imported
 * memory `env.memory`; `shared` memories need `maxPages`.
 */
export function assembleModule(functions: WasmFunction[], memory: { minPages: number; maxPages: number; shared: boolean }): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0x00]);
  const limits = memory.shared
    ? [0x03, ...uleb(memory.minPages), ...uleb(memory.maxPages)]
    : [0x01, ...uleb(memory.minPages), ...uleb(memory.maxPages)];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, ...limits]]);
  const funcs = vec(functions.map((_, i) => uleb(i)));
  const exports = vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const codes = vec(
    functions.map((f) => {
      const locals = vec(f.locals.map((t) => [1, t]));
      const body = [...locals, ...f.body, 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, codes),
  ]); // prettier-ignore
}

function name(s: string): number[] {
  const b = utf8(s);
  return [...uleb(b.length), ...b];
}
