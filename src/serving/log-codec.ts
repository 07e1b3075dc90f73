/**
 * The prediction log's batches as they cross to the writer thread: columns of plain values. A
 * record's outputs cross as the JSON text the serving runtime already made (one string, which the
 * writer stores as it is), else a classifier's probabilities go in one Float64Array (class names
 * sent once per class set). Strings most records repeat (timestamp, deployment, model, role,
 * decision, label) cross once per batch, with per-record indices, and numbers and flags in typed
 * arrays that are transferred, not copied; inputs cross as their values under one list of names
 * per batch (no object per record for the clone to walk), and the writer makes their JSON from
 * those parts. What is left for the structured clone per record: its id, request id, outputs
 * text and input values.
 */
import type { PlanDecision } from './inference.js';
import type { Decision, PredictionRecord, PredictionRole } from './serving.js';

/** Columns of {@link EncodedLogBatch.refs}: per record, indices into `shared` (-1: null). */
const REF_AT = 0;
const REF_DEPLOYMENT = 1;
const REF_MODEL = 2;
const REF_ROLE = 3;
const REF_DECISION = 4;
const REF_LABEL = 5;
const REFS = 6;
/** Columns of {@link EncodedLogBatch.numbers}. */
const NUM_VERSION = 0;
const NUM_CONFIDENCE = 1;
const NUM_LATENCY = 2;
const NUMS = 3;
/** Bits of {@link EncodedLogBatch.flags}. */
const REDACTED = 1;
const NO_CONFIDENCE = 2;
const FAIRNESS = 4;

/** A batch of records in columns; {@link decodeLogBatch} rebuilds records equal to the originals. */
export interface EncodedLogBatch {
  n: number;
  /** The strings many records repeat (timestamps, deployments, models, roles, decisions, labels), each once. */
  shared: string[];
  /** Per record, six indices into `shared`: at, deployment, model, role, decision, label (-1 for a null label). */
  refs: Int32Array;
  /** Per record: version, confidence (0 when null, see `flags`), latencyMs. */
  numbers: Float64Array;
  /** Per record: bit 1 redacted, bit 2 confidence is null, bit 4 its outputs have a `fairness` (in `fairness`). */
  flags: Uint8Array;
  id: string[];
  primaryId: Array<string | null>;
  requestId: Array<string | null>;
  /** Per record: the index of its input names in `inputKeys` (its values are in `inputValues`), or -1 (its inputs object is in `otherInputs`). */
  inputSet: Int32Array;
  inputKeys: string[][];
  /** The input values (strings, numbers, booleans, nulls) of records with an input set, one after another. */
  inputValues: unknown[];
  /** The inputs of records without an input set (a value that is an object, an array or undefined), in order. */
  otherInputs: Array<Record<string, unknown>>;
  groups: Array<Record<string, string | null> | null>;
  /** Per record: its `outputsJson` when it had one (its outputs are not sent otherwise), else null. */
  outputsJson: Array<string | null>;
  /** Per record: the probabilities' JSON text of a {@link ClassifierRecord} (its outputs are `{label, probabilities[, fairness]}` with the record's label), else null. */
  probabilitiesJson: Array<string | null>;
  /** The `fairness` of classifier records that have one, in order. */
  fairness: PlanDecision[];
  /** Per record: the index of its class set in `classSets` (outputs `{label, probabilities}`), or -1 (outputs in `outputsJson` or `other`). */
  classSet: Int32Array;
  classSets: string[][];
  /** `outputs.label` of records with a class set. */
  outputLabel: Array<string | null>;
  /** The probabilities of records with a class set, in their class set's order, one after another. */
  probabilities: Float64Array;
  /** The outputs of records without `outputsJson` or a class set (regression `{value}`, anything else), in order. */
  other: Array<Record<string, unknown>>;
}

/** The buffers of `batch` that can be transferred instead of copied when it is posted. */
export function transferList(batch: EncodedLogBatch): ArrayBuffer[] {
  return [batch.refs.buffer, batch.numbers.buffer, batch.flags.buffer, batch.inputSet.buffer, batch.classSet.buffer, batch.probabilities.buffer] as ArrayBuffer[];
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Pushes the values of `o` onto `out` while each is one JSON.stringify writes inside an object as
 * it writes it alone (undefined, objects and functions are not); false at the first that is not.
 */
function pushPrimitiveValues(o: Record<string, unknown>, keys: readonly string[], out: unknown[]): boolean {
  for (const k of keys) {
    const v = o[k];
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
    out.push(v);
  }
  return true;
}

/** Indices of strings in a batch's `shared` list; the last string of each column is checked first (a batch mostly repeats it). */
class SharedStrings {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly last: Array<string | undefined> = new Array(REFS).fill(undefined);
  private readonly lastIndex = new Int32Array(REFS);

  of(column: number, s: string): number {
    if (s === this.last[column]) return this.lastIndex[column]!;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.push(s) - 1;
      this.index.set(s, i);
    }
    this.last[column] = s;
    this.lastIndex[column] = i;
    return i;
  }
}

/** Columns of `records` for posting to the writer thread (with {@link transferList}). */
export function encodeLogBatch(records: readonly PredictionRecord[]): EncodedLogBatch {
  const n = records.length;
  const shared = new SharedStrings();
  const refs = new Int32Array(n * REFS);
  const numbers = new Float64Array(n * NUMS);
  const flags = new Uint8Array(n);
  const id: string[] = new Array(n);
  const primaryId: Array<string | null> = new Array(n);
  const requestId: Array<string | null> = new Array(n);
  const inputSet = new Int32Array(n);
  const inputKeys: string[][] = [];
  const inputValues: unknown[] = [];
  const otherInputs: Array<Record<string, unknown>> = [];
  const groups: Array<Record<string, string | null> | null> = new Array(n);
  const outputsJson: Array<string | null> = new Array(n);
  const probabilitiesJson: Array<string | null> = new Array(n);
  const fairness: PlanDecision[] = [];
  const classSet = new Int32Array(n);
  const classSets: string[][] = [];
  const outputLabel: Array<string | null> = [];
  const other: Array<Record<string, unknown>> = [];
  let probs = new Float64Array(0);
  let used = 0;
  let last = -1;
  let lastInputs = -1;
  let emptyGroups: Record<string, string | null> | undefined;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const at = i * REFS;
    refs[at + REF_AT] = shared.of(REF_AT, r.at);
    refs[at + REF_DEPLOYMENT] = shared.of(REF_DEPLOYMENT, r.deployment);
    refs[at + REF_MODEL] = shared.of(REF_MODEL, r.model);
    refs[at + REF_ROLE] = shared.of(REF_ROLE, r.role);
    refs[at + REF_DECISION] = shared.of(REF_DECISION, r.decision);
    refs[at + REF_LABEL] = r.label === null ? -1 : shared.of(REF_LABEL, r.label);
    numbers[i * NUMS + NUM_VERSION] = r.version;
    numbers[i * NUMS + NUM_LATENCY] = r.latencyMs;
    if (r.confidence === null) flags[i] = NO_CONFIDENCE;
    else numbers[i * NUMS + NUM_CONFIDENCE] = r.confidence;
    if (r.redacted) flags[i]! |= REDACTED;
    id[i] = r.id;
    primaryId[i] = r.primaryId;
    requestId[i] = r.requestId;
    // The runtime shares one empty groups object: Object.keys once per batch, not per record.
    const g = r.groups;
    if (g === undefined || g === emptyGroups) groups[i] = null;
    else if (Object.keys(g).length === 0) {
      emptyGroups = g;
      groups[i] = null;
    } else groups[i] = g;
    // Inputs as values under a shared list of names: no object for the clone to walk, and the writer formats their JSON from the parts.
    const inputs = r.inputs;
    const names = Object.keys(inputs);
    const first = inputValues.length;
    let set = -1;
    if (pushPrimitiveValues(inputs, names, inputValues)) {
      if (lastInputs >= 0 && sameKeys(inputKeys[lastInputs]!, names)) set = lastInputs;
      else {
        set = inputKeys.findIndex((s) => sameKeys(s, names));
        if (set < 0) set = inputKeys.push(names) - 1;
        lastInputs = set;
      }
    } else {
      inputValues.length = first;
      otherInputs.push(inputs);
    }
    inputSet[i] = set;
    classSet[i] = -1;
    // Before reading `outputsJson`: a classifier record would make the text here instead of on the writer.
    if (r instanceof ClassifierRecord) {
      probabilitiesJson[i] = r.probabilitiesJson;
      outputsJson[i] = null;
      if (r.fairness !== undefined) {
        flags[i]! |= FAIRNESS;
        fairness.push(r.fairness);
      }
      continue;
    }
    probabilitiesJson[i] = null;
    if (r.outputsJson !== undefined) {
      outputsJson[i] = r.outputsJson;
      continue;
    }
    outputsJson[i] = null;
    const o = r.outputs as { label?: unknown; probabilities?: unknown };
    const p = o.probabilities as Record<string, unknown> | null | undefined;
    const outKeys = Object.keys(o);
    let cs = -1;
    if (outKeys.length === 2 && outKeys[0] === 'label' && outKeys[1] === 'probabilities' && (o.label === null || typeof o.label === 'string') && p !== null && typeof p === 'object' && !Array.isArray(p)) {
      const keys = Object.keys(p);
      if (keys.every((k) => typeof p[k] === 'number')) {
        if (last >= 0 && sameKeys(classSets[last]!, keys)) cs = last;
        else {
          cs = classSets.findIndex((s) => sameKeys(s, keys));
          if (cs < 0) cs = classSets.push(keys) - 1;
          last = cs;
        }
        if (used + keys.length > probs.length) {
          const grown = new Float64Array(Math.max(probs.length * 2, used + keys.length, 256));
          grown.set(probs);
          probs = grown;
        }
        for (const k of keys) probs[used++] = p[k] as number;
        outputLabel.push(o.label as string | null);
      }
    }
    classSet[i] = cs;
    if (cs < 0) other.push(r.outputs);
  }
  return {
    n,
    shared: shared.list,
    refs,
    numbers,
    flags,
    id,
    primaryId,
    requestId,
    inputSet,
    inputKeys,
    inputValues,
    otherInputs,
    groups,
    outputsJson,
    probabilitiesJson,
    fairness,
    classSet,
    classSets,
    outputLabel,
    probabilities: probs.slice(0, used),
    other,
  };
}

/** The logged outputs of a classifier row, `{label, probabilities[, fairness]}`, as JSON text made from its probabilities' text. */
function classifierOutputsJson(label: string, probabilities: string, fairness: PlanDecision | undefined): string {
  const head = `{"label":${jsonValue(label)},"probabilities":${probabilities}`;
  return fairness === undefined ? `${head}}` : `${head},"fairness":${JSON.stringify(fairness)}}`;
}

/**
 * A classifier row's record as the serving runtime logs it: its outputs `{label, probabilities[,
 * fairness]}` are held as the probabilities' JSON text the answer was made with (a flat string
 * that crosses to the writer as it is); `outputsJson` and `outputs` are made when first read. The
 * writer thread makes the outputs' text from these parts: joining it on the serving thread, then
 * flattening the joined text for the clone, cost about 1 µs per prediction.
 */
export class ClassifierRecord implements PredictionRecord {
  #text: string | undefined = undefined;
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
    /** `JSON.stringify(probabilities)`. */
    readonly probabilitiesJson: string,
    readonly fairness: PlanDecision | undefined,
    readonly label: string,
    readonly confidence: number | null,
    readonly decision: Decision,
    readonly latencyMs: number,
    readonly redacted: boolean,
    readonly groups: Record<string, string | null>,
  ) {}

  get outputsJson(): string {
    return (this.#text ??= classifierOutputsJson(this.label, this.probabilitiesJson, this.fairness));
  }

  get outputs(): Record<string, unknown> {
    return (this.#parsed ??= JSON.parse(this.outputsJson) as Record<string, unknown>);
  }
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

/**
 * A record whose inputs and outputs are JSON text: the writer thread's records. `inputsJson` equals
 * `JSON.stringify(inputs)` and the store writes it as it is; `inputs` and `outputs` are made when
 * first read (the writer never reads them).
 */
export class LoggedRecord implements PredictionRecord {
  #inputs: Record<string, unknown> | undefined = undefined;
  #outputs: Record<string, unknown> | undefined = undefined;
  readonly #names: readonly string[];
  readonly #values: readonly unknown[];
  readonly #start: number;
  constructor(
    readonly id: string,
    readonly at: string,
    readonly deployment: string,
    readonly model: string,
    readonly version: number,
    readonly role: PredictionRole,
    readonly primaryId: string | null,
    readonly requestId: string | null,
    readonly inputsJson: string,
    names: readonly string[],
    values: readonly unknown[],
    start: number,
    readonly outputsJson: string,
    readonly label: string | null,
    readonly confidence: number | null,
    readonly decision: Decision,
    readonly latencyMs: number,
    readonly redacted: boolean,
    readonly groups: Record<string, string | null>,
  ) {
    this.#names = names;
    this.#values = values;
    this.#start = start;
  }

  get inputs(): Record<string, unknown> {
    return (this.#inputs ??= inputsObject(this.#names, this.#values, this.#start));
  }

  get outputs(): Record<string, unknown> {
    return (this.#outputs ??= JSON.parse(this.outputsJson) as Record<string, unknown>);
  }
}

/** Sets `o[k] = v`, keeping a key named `__proto__` an own key (assigning it would try to set the prototype). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function inputsObject(names: readonly string[], values: readonly unknown[], start: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let j = 0; j < names.length; j++) setOwn(o, names[j]!, values[start + j]);
  return o;
}

/** The constant parts of the JSON of inputs named `names`: `{"a":`, `,"b":`, …, `}`. */
function jsonParts(names: readonly string[]): string[] {
  if (names.length === 0) return ['{}'];
  return [...names.map((k, j) => `${j === 0 ? '{' : ','}${JSON.stringify(k)}:`), '}'];
}

/** Characters JSON.stringify escapes in a string (any surrogate, to be safe about lone ones). */
// eslint-disable-next-line no-control-regex -- control characters are what JSON.stringify escapes
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(v)` of a primitive; a string with nothing to escape is quoted as it is (a third of the cost). */
function jsonValue(v: unknown): string {
  return typeof v === 'string' && !ESCAPED.test(v) ? `"${v}"` : JSON.stringify(v);
}

/** `JSON.stringify` of the inputs named `names` with values from `start`: the values are primitives, each written as JSON.stringify writes it alone. */
function inputsJson(parts: readonly string[], values: readonly unknown[], start: number): string {
  if (parts.length === 1) return parts[0]!;
  let out = parts[0]! + jsonValue(values[start]);
  for (let j = 1; j < parts.length - 1; j++) out += parts[j]! + jsonValue(values[start + j]);
  return out + parts[parts.length - 1]!;
}

/** The records of an encoded batch. */
export function decodeLogBatch(b: EncodedLogBatch): PredictionRecord[] {
  const out: PredictionRecord[] = new Array(b.n);
  const parts = b.inputKeys.map(jsonParts);
  const shared = b.shared;
  let at = 0;
  let labelled = 0;
  let other = 0;
  let given = 0;
  let value = 0;
  let fair = 0;
  for (let i = 0; i < b.n; i++) {
    const ref = i * REFS;
    const num = i * NUMS;
    const label = b.refs[ref + REF_LABEL]!;
    const flags = b.flags[i]!;
    const groups = b.groups[i] ?? {};
    const set = b.inputSet[i]!;
    const probabilities = b.probabilitiesJson[i] ?? null;
    const json = probabilities === null ? (b.outputsJson[i] ?? null) : classifierOutputsJson(shared[label]!, probabilities, flags & FAIRNESS ? b.fairness[fair++] : undefined);
    if (set >= 0 && json !== null) {
      const names = b.inputKeys[set]!;
      out[i] = new LoggedRecord(
        b.id[i]!,
        shared[b.refs[ref + REF_AT]!]!,
        shared[b.refs[ref + REF_DEPLOYMENT]!]!,
        shared[b.refs[ref + REF_MODEL]!]!,
        b.numbers[num + NUM_VERSION]!,
        shared[b.refs[ref + REF_ROLE]!] as PredictionRole,
        b.primaryId[i]!,
        b.requestId[i]!,
        inputsJson(parts[set]!, b.inputValues, value),
        names,
        b.inputValues,
        value,
        json,
        label < 0 ? null : shared[label]!,
        flags & NO_CONFIDENCE ? null : b.numbers[num + NUM_CONFIDENCE]!,
        shared[b.refs[ref + REF_DECISION]!] as Decision,
        b.numbers[num + NUM_LATENCY]!,
        (flags & REDACTED) !== 0,
        groups,
      );
      value += names.length;
      continue;
    }
    let inputs: Record<string, unknown>;
    if (set >= 0) {
      const names = b.inputKeys[set]!;
      inputs = inputsObject(names, b.inputValues, value);
      value += names.length;
    } else inputs = b.otherInputs[given++]!;
    const common = [
      b.id[i]!,
      shared[b.refs[ref + REF_AT]!]!,
      shared[b.refs[ref + REF_DEPLOYMENT]!]!,
      shared[b.refs[ref + REF_MODEL]!]!,
      b.numbers[num + NUM_VERSION]!,
      shared[b.refs[ref + REF_ROLE]!] as PredictionRole,
      b.primaryId[i]!,
      b.requestId[i]!,
      inputs,
    ] as const;
    if (json !== null) {
      out[i] = new RecordWithOutputsText(
        ...common,
        json,
        label < 0 ? null : shared[label]!,
        flags & NO_CONFIDENCE ? null : b.numbers[num + NUM_CONFIDENCE]!,
        shared[b.refs[ref + REF_DECISION]!] as Decision,
        b.numbers[num + NUM_LATENCY]!,
        (flags & REDACTED) !== 0,
        groups,
      );
      continue;
    }
    const cs = b.classSet[i]!;
    let outputs: Record<string, unknown>;
    if (cs >= 0) {
      const probabilities: Record<string, number> = {};
      for (const c of b.classSets[cs]!) setOwn(probabilities, c, b.probabilities[at++]!);
      outputs = { label: b.outputLabel[labelled++]!, probabilities };
    } else outputs = b.other[other++]!;
    const [id, when, deployment, model, version, role, primaryId, requestId] = common;
    out[i] = {
      id,
      at: when,
      deployment,
      model,
      version,
      role,
      primaryId,
      requestId,
      inputs,
      outputs,
      label: label < 0 ? null : shared[label]!,
      confidence: flags & NO_CONFIDENCE ? null : b.numbers[num + NUM_CONFIDENCE]!,
      decision: shared[b.refs[ref + REF_DECISION]!] as Decision,
      latencyMs: b.numbers[num + NUM_LATENCY]!,
      redacted: (flags & REDACTED) !== 0,
      groups,
    };
  }
  return out;
}
