/**
 * How a classifier's probabilities are stored in the prediction log (migration 0015): not as JSON
 * text inside `outputs_json` (~40 bytes a class, formatted on the serving thread, re-encoded by the
 * writer and stored once per row), but as float64 little-endian numbers in the `probabilities`
 * column, in the order of a class list kept once in `prediction_classes`. `outputs_json` then holds
 * the outputs without them: `{label}` or `{label, fairness}`. Reading rebuilds the same outputs
 * object (keys in the same order, the same doubles), so every reader sees what was logged.
 * Rows logged before 0015, and records that do not come from the serving runtime, keep their
 * probabilities inside `outputs_json`; both forms are read.
 */
import { endianness } from 'node:os';

/** A record whose probabilities are stored apart from the rest of its outputs. */
export interface CompactClassifierOutputs {
  /** The outputs without `probabilities`: `{label[, fairness]}` as JSON text. */
  readonly compactOutputsJson: string;
  /** The probabilities as float64 little-endian, in the order of `classesJson`. */
  readonly probabilitiesBlob: Uint8Array;
  /** JSON array of the class names. */
  readonly classesJson: string;
}

/** True when `r` carries its probabilities in the compact form. */
export function hasCompactOutputs(r: object): r is CompactClassifierOutputs {
  return (r as Partial<CompactClassifierOutputs>).classesJson !== undefined && (r as Partial<CompactClassifierOutputs>).probabilitiesBlob !== undefined;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** The bytes of `scores[at, at + n)` as float64 little-endian: a view of the same memory where the machine is little-endian. */
export function probabilitiesBlob(scores: Float64Array, at: number, n: number): Buffer {
  const view = Buffer.from(scores.buffer, scores.byteOffset + at * 8, n * 8);
  return LITTLE_ENDIAN ? view : Buffer.from(view).swap64();
}

/** Parsed class lists by their JSON text (a log holds a few: one per model version's classes). */
const classLists = new Map<string, readonly string[]>();

function classesOf(json: string): readonly string[] {
  let names = classLists.get(json);
  if (names === undefined) {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed) || !parsed.every((c) => typeof c === 'string')) throw new Error('prediction_classes.names_json is not an array of class names');
    names = parsed as string[];
    if (classLists.size >= 1024) classLists.clear();
    classLists.set(json, names);
  }
  return names;
}

/**
 * The probabilities object a compact row stands for: `{class: p}` in the class list's order. Each
 * number is what `JSON.parse(JSON.stringify(p))` gives of the logged one (non-finite → null, −0 → 0),
 * which is what the JSON form stored.
 */
export function probabilitiesFromBlob(classesJson: string, blob: Uint8Array): Record<string, number | null> {
  const names = classesOf(classesJson);
  if (blob.byteLength !== names.length * 8) throw new Error(`a stored prediction has ${blob.byteLength / 8} probabilities for ${names.length} classes`);
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const entries: Array<[string, number | null]> = new Array(names.length);
  for (let c = 0; c < names.length; c++) {
    const p = bytes.readDoubleLE(c * 8);
    entries[c] = [names[c]!, Number.isFinite(p) ? p + 0 : null];
  }
  // fromEntries defines own properties: a class named __proto__ stays a key.
  return Object.fromEntries(entries);
}

/** The outputs `{label, probabilities[, fairness]}` of a compact row, from its `{label[, fairness]}` text and its probabilities. */
export function outputsWithProbabilities(compactOutputsJson: string, probabilities: Record<string, number | null>): Record<string, unknown> {
  const o = JSON.parse(compactOutputsJson) as Record<string, unknown>;
  return o['fairness'] === undefined ? { label: o['label'], probabilities } : { label: o['label'], probabilities, fairness: o['fairness'] };
}
