/**
 * The prediction log's batches as they cross to the writer thread: columns of plain values. A
 * record's outputs cross as the JSON text the serving runtime already made (one string, which the
 * writer stores as it is), else a classifier's probabilities go in one Float64Array (class names
 * sent once per class set). Posting records as objects made the serving thread serialise about 40
 * keyed values per prediction (the probabilities are an object keyed by class); this sends ~20 plain ones.
 */
import type { Decision, PredictionRecord, PredictionRole } from './serving.js';

/** A batch of records in columns; {@link decodeLogBatch} rebuilds records equal to the originals. */
export interface EncodedLogBatch {
  n: number;
  id: string[];
  at: string[];
  deployment: string[];
  model: string[];
  version: number[];
  role: PredictionRole[];
  primaryId: Array<string | null>;
  requestId: Array<string | null>;
  inputs: Array<Record<string, unknown>>;
  label: Array<string | null>;
  confidence: Array<number | null>;
  decision: Decision[];
  latencyMs: number[];
  redacted: boolean[];
  groups: Array<Record<string, string | null> | null>;
  /** Per record: its `outputsJson` when it had one (its outputs are not sent otherwise), else null. */
  outputsJson: Array<string | null>;
  /** Per record: the index of its class set in `classSets` (outputs `{label, probabilities}`), or -1 (outputs in `outputsJson` or `other`). */
  classSet: number[];
  classSets: string[][];
  /** `outputs.label` of records with a class set. */
  outputLabel: Array<string | null>;
  /** The probabilities of records with a class set, in their class set's order, one after another. */
  probabilities: Float64Array;
  /** The outputs of records without `outputsJson` or a class set (regression `{value}`, anything else), in order. */
  other: Array<Record<string, unknown>>;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Columns of `records` for posting to the writer thread. */
export function encodeLogBatch(records: readonly PredictionRecord[]): EncodedLogBatch {
  const n = records.length;
  const b: EncodedLogBatch = {
    n,
    id: new Array(n),
    at: new Array(n),
    deployment: new Array(n),
    model: new Array(n),
    version: new Array(n),
    role: new Array(n),
    primaryId: new Array(n),
    requestId: new Array(n),
    inputs: new Array(n),
    label: new Array(n),
    confidence: new Array(n),
    decision: new Array(n),
    latencyMs: new Array(n),
    redacted: new Array(n),
    groups: new Array(n),
    outputsJson: new Array(n),
    classSet: new Array(n),
    classSets: [],
    outputLabel: [],
    probabilities: new Float64Array(0),
    other: [],
  };
  let probs = new Float64Array(n * 16);
  let used = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    b.id[i] = r.id;
    b.at[i] = r.at;
    b.deployment[i] = r.deployment;
    b.model[i] = r.model;
    b.version[i] = r.version;
    b.role[i] = r.role;
    b.primaryId[i] = r.primaryId;
    b.requestId[i] = r.requestId;
    b.inputs[i] = r.inputs;
    b.label[i] = r.label;
    b.confidence[i] = r.confidence;
    b.decision[i] = r.decision;
    b.latencyMs[i] = r.latencyMs;
    b.redacted[i] = r.redacted;
    b.groups[i] = r.groups === undefined || Object.keys(r.groups).length === 0 ? null : r.groups;
    if (r.outputsJson !== undefined) {
      b.outputsJson[i] = r.outputsJson;
      b.classSet[i] = -1;
      continue;
    }
    b.outputsJson[i] = null;
    const o = r.outputs as { label?: unknown; probabilities?: unknown };
    const p = o.probabilities as Record<string, unknown> | null | undefined;
    const outKeys = Object.keys(o);
    let set = -1;
    if (outKeys.length === 2 && outKeys[0] === 'label' && outKeys[1] === 'probabilities' && (o.label === null || typeof o.label === 'string') && p !== null && typeof p === 'object' && !Array.isArray(p)) {
      const keys = Object.keys(p);
      if (keys.every((k) => typeof p[k] === 'number')) {
        if (last >= 0 && sameKeys(b.classSets[last]!, keys)) set = last;
        else {
          set = b.classSets.findIndex((s) => sameKeys(s, keys));
          if (set < 0) set = b.classSets.push(keys) - 1;
          last = set;
        }
        if (used + keys.length > probs.length) {
          const grown = new Float64Array(Math.max(probs.length * 2, used + keys.length));
          grown.set(probs);
          probs = grown;
        }
        for (const k of keys) probs[used++] = p[k] as number;
        b.outputLabel.push(o.label as string | null);
      }
    }
    b.classSet[i] = set;
    if (set < 0) b.other.push(r.outputs);
  }
  b.probabilities = probs.slice(0, used);
  return b;
}

/**
 * A record whose outputs are JSON text: `outputs` is parsed when first read (the writer reads only
 * the text). A class, so every such record shares one shape and one accessor (defining the accessor
 * on each record turned records into slow dictionaries: ~2 µs each). The serving runtime logs its
 * classifier rows as these too: a queued record then holds no outputs object (the probabilities'
 * 15-key object died with the answer instead of being copied by every young-generation GC while
 * the record waits for its batch).
 */
export class RecordWithOutputsText implements PredictionRecord {
  #parsed: Record<string, unknown> | undefined = undefined;
  constructor(
    readonly id: string,
    readonly at: string,
    readonly deployment: string,
    readonly model: string,
    readonly version: number,
    readonly role: PredictionRole,
    public primaryId: string | null,
    readonly requestId: string | null,
    readonly inputs: Record<string, unknown>,
    readonly outputsJson: string,
    readonly label: string | null,
    readonly confidence: number | null,
    readonly decision: Decision,
    readonly latencyMs: number,
    readonly redacted: boolean,
    readonly groups: Record<string, string | null>,
  ) {}

  get outputs(): Record<string, unknown> {
    return (this.#parsed ??= JSON.parse(this.outputsJson) as Record<string, unknown>);
  }
}

/** The records of an encoded batch. */
export function decodeLogBatch(b: EncodedLogBatch): PredictionRecord[] {
  const out: PredictionRecord[] = new Array(b.n);
  let at = 0;
  let labelled = 0;
  let other = 0;
  for (let i = 0; i < b.n; i++) {
    const set = b.classSet[i]!;
    const json = b.outputsJson[i] ?? null;
    const groups = b.groups[i];
    if (json !== null) {
      out[i] = new RecordWithOutputsText(
        b.id[i]!,
        b.at[i]!,
        b.deployment[i]!,
        b.model[i]!,
        b.version[i]!,
        b.role[i]!,
        b.primaryId[i]!,
        b.requestId[i]!,
        b.inputs[i]!,
        json,
        b.label[i]!,
        b.confidence[i]!,
        b.decision[i]!,
        b.latencyMs[i]!,
        b.redacted[i]!,
        groups ?? {},
      );
      continue;
    }
    let outputs: Record<string, unknown>;
    if (set >= 0) {
      const probabilities: Record<string, number> = {};
      for (const c of b.classSets[set]!) {
        const v = b.probabilities[at++]!;
        // A class named `__proto__` stays an own key (assigning it would try to set the prototype).
        if (c === '__proto__') Object.defineProperty(probabilities, c, { value: v, enumerable: true, writable: true, configurable: true });
        else probabilities[c] = v;
      }
      outputs = { label: b.outputLabel[labelled++]!, probabilities };
    } else outputs = b.other[other++]!;
    out[i] = {
      id: b.id[i]!,
      at: b.at[i]!,
      deployment: b.deployment[i]!,
      model: b.model[i]!,
      version: b.version[i]!,
      role: b.role[i]!,
      primaryId: b.primaryId[i]!,
      requestId: b.requestId[i]!,
      inputs: b.inputs[i]!,
      outputs,
      label: b.label[i]!,
      confidence: b.confidence[i]!,
      decision: b.decision[i]!,
      latencyMs: b.latencyMs[i]!,
      redacted: b.redacted[i]!,
      groups: groups ?? {},
    };
  }
  return out;
}
