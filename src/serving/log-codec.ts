/**
 * The prediction log's segments: records encoded as they are appended, so that the serving thread
 * keeps no record object alive while it waits for its batch. A queued record used to hold ~1 KB of
 * strings and objects (its probabilities' text, inputs, ids) for up to a flush interval: every
 * young-generation GC copied them, then promoted them, and a major GC collected them, which cost
 * the serving thread and V8's helper threads more than the record itself. A segment holds its
 * records' strings as UTF-8 in one byte array (outside the JavaScript heap: the GC never copies
 * it), numbers and flags in typed arrays, and the strings most records repeat (timestamp,
 * deployment, model, role, decision, label) once each. It crosses to the writer thread by
 * postMessage, which shares its arrays (SharedArrayBuffers: nothing is copied), and stays with the
 * serving thread for retries.
 */
import type { PlanDecision } from './inference.js';
import type { Decision, PredictionRecord, PredictionRole } from './serving.js';
import { outputsWithProbabilities, probabilitiesBlob, probabilitiesFromBlob, type CompactClassifierOutputs } from './stored-probabilities.js';

/** Columns of {@link LogSegment.refs}: per record, indices into `shared` (-1: null). */
const REF_AT = 0;
const REF_DEPLOYMENT = 1;
const REF_MODEL = 2;
const REF_ROLE = 3;
const REF_DECISION = 4;
const REF_LABEL = 5;
/** A classifier record's class list (JSON array), -1 for other records. */
const REF_CLASSES = 6;
const REFS = 7;
/** Columns of {@link LogSegment.numbers}. */
const NUM_VERSION = 0;
const NUM_CONFIDENCE = 1;
const NUM_LATENCY = 2;
/** A classifier record's first probability in {@link LogSegment.scores}, and how many it has. */
const NUM_SCORES_AT = 3;
const NUM_SCORES_N = 4;
const NUMS = 5;
/** Bits of {@link LogSegment.flags}. */
const REDACTED = 1;
const NO_CONFIDENCE = 2;
/** A classifier record: its outputs are `{label, probabilities[, fairness]}`, the probabilities in `scores` (the outputs slot is null). */
const PROBABILITIES = 4;
/** String slots of a record in {@link LogSegment.spans}. */
const S_ID = 0;
const S_PRIMARY = 1;
const S_REQUEST = 2;
const S_INPUTS = 3;
/** The outputs' JSON, for records that are not classifier records. */
const S_OUTPUTS = 4;
const S_GROUPS = 5;
const S_FAIRNESS = 6;
const SLOTS = 7;
/** Texts up to this many code units are written byte by byte when they are ASCII. */
const ASCII_LOOP_MAX = 128;
/** Any UTF-16 surrogate: such an id is kept as a JavaScript string (UTF-8 cannot hold a lone one). */
const SURROGATE = /[\ud800-\udfff]/;

/** Records per model and version: `[model, version, count]`, for the writer's metrics. */
export type VersionCounts = Array<[model: string, version: string, n: number]>;

/**
 * A sealed batch of records. {@link decodeLogSegment} rebuilds them; what the store writes of each
 * (every column, the JSON texts byte for byte) equals what it writes of the original record.
 */
export interface LogSegment {
  n: number;
  /** The strings many records repeat (timestamps, deployments, models, roles, decisions, labels, class lists), each once. */
  shared: string[];
  /**
   * Per record, seven indices into `shared`: at, deployment, model, role, decision, label (-1 for a
   * null label), the class list's JSON (-1 but for classifier records).
   */
  refs: Int32Array;
  /** Per record: version, confidence (0 when null, see `flags`), latencyMs, first probability in `scores`, number of probabilities. */
  numbers: Float64Array;
  /** Per record: bit 1 redacted, bit 2 confidence is null, bit 4 a classifier record (probabilities in `scores`). */
  flags: Uint8Array;
  /** The classifier records' probabilities, in their class lists' order. */
  scores: Float64Array;
  /**
   * Per record and string slot (id, primaryId, requestId, inputs JSON, outputs JSON (null for
   * classifier records), groups JSON, fairness JSON): start and end offsets in `bytes`. Start -1:
   * null; start -2 - k: the string is `odd[k]`.
   */
  spans: Int32Array;
  /** The records' strings, UTF-8. */
  bytes: Uint8Array;
  /** Ids holding UTF-16 surrogates, kept as they are. */
  odd: string[];
  versions: VersionCounts;
}

/** Counts `records` per model and version. */
export function countByVersion(records: readonly PredictionRecord[]): VersionCounts {
  const out: VersionCounts = [];
  let last: [string, string, number] | undefined;
  for (const r of records) {
    const version = String(r.version);
    if (last === undefined || last[0] !== r.model || last[1] !== version) {
      last = out.find((x) => x[0] === r.model && x[1] === version);
      if (last === undefined) out.push((last = [r.model, version, 0]));
    }
    last[2] += 1;
  }
  return out;
}

type TypedArrayOf<T> = new (buffer: SharedArrayBuffer) => T;
interface Sized {
  BYTES_PER_ELEMENT: number;
}

/** A typed array of `length` elements in a SharedArrayBuffer of its own. */
function sharedArray<T>(Type: TypedArrayOf<T>, length: number): T {
  return new Type(new SharedArrayBuffer(length * (Type as unknown as Sized).BYTES_PER_ELEMENT));
}

/** A Buffer of `size` bytes in a SharedArrayBuffer of its own. */
function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/** The first `length` elements of `a`, copied into a SharedArrayBuffer of exact size. */
function sharedCopy<T extends Int32Array | Float64Array | Uint8Array>(Type: TypedArrayOf<T>, a: T, length: number): T {
  const b = sharedArray(Type, length);
  b.set(a.subarray(0, length));
  return b;
}

/** Indices of strings in a segment's `shared` list; the last string of each column is checked first (a segment mostly repeats it). */
class SharedStrings {
  list: string[] = [];
  private index = new Map<string, number>();
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

  reset(): void {
    this.list = [];
    this.index = new Map();
    this.last.fill(undefined);
  }
}

/** `JSON.stringify(groups)` as the store writes it: null for none or `{}`. */
function groupsText(groups: Record<string, string | null> | undefined, empty: { last: object | undefined }): string | null {
  // The runtime shares one frozen empty groups object: Object.keys once, not per record.
  if (groups === undefined || groups === empty.last) return null;
  if (Object.keys(groups).length > 0) return JSON.stringify(groups);
  if (Object.isFrozen(groups)) empty.last = groups;
  return null;
}

/**
 * Encodes records as they are appended; {@link seal} hands the segment over and starts the next.
 *
 * @example
 * const b = new LogSegmentBuilder();
 * b.add(record);
 * const segment = b.seal(); // post it to the writer; decodeLogSegment(segment) there
 */
export class LogSegmentBuilder {
  private shared = new SharedStrings();
  /** Records the arrays below have room for; a new segment starts with the room the last one needed. */
  private capacity = 64;
  private refs = sharedArray(Int32Array, 64 * REFS);
  private numbers = sharedArray(Float64Array, 64 * NUMS);
  private flags = sharedArray(Uint8Array, 64);
  private spans = sharedArray(Int32Array, 64 * SLOTS * 2);
  private scores = sharedArray(Float64Array, 64 * 16);
  private scoresUsed = 0;
  private arena = sharedBuffer(64 * 1024);
  private used = 0;
  private odd: string[] = [];
  private versions: VersionCounts = [];
  private lastVersion: [string, string, number] | undefined;
  private readonly emptyGroups: { last: object | undefined } = { last: undefined };
  /** Records added since the last seal. */
  n = 0;

  /** Encodes `r` (its strings are copied: nothing of it is kept). */
  add(r: PredictionRecord): void {
    const i = this.n;
    if (i * REFS >= this.refs.length) this.grow();
    const ref = i * REFS;
    const refs = this.refs;
    const shared = this.shared;
    refs[ref + REF_AT] = shared.of(REF_AT, r.at);
    refs[ref + REF_DEPLOYMENT] = shared.of(REF_DEPLOYMENT, r.deployment);
    refs[ref + REF_MODEL] = shared.of(REF_MODEL, r.model);
    refs[ref + REF_ROLE] = shared.of(REF_ROLE, r.role);
    refs[ref + REF_DECISION] = shared.of(REF_DECISION, r.decision);
    refs[ref + REF_LABEL] = r.label === null ? -1 : shared.of(REF_LABEL, r.label);
    const num = i * NUMS;
    this.numbers[num + NUM_VERSION] = r.version;
    this.numbers[num + NUM_LATENCY] = r.latencyMs;
    let flags = 0;
    if (r.confidence === null) {
      flags = NO_CONFIDENCE;
      this.numbers[num + NUM_CONFIDENCE] = 0;
    } else this.numbers[num + NUM_CONFIDENCE] = r.confidence;
    if (r.redacted) flags |= REDACTED;
    const span = i * SLOTS * 2;
    this.id(span + S_ID * 2, r.id);
    this.id(span + S_PRIMARY * 2, r.primaryId);
    this.id(span + S_REQUEST * 2, r.requestId);
    const inputsJson = (r as { inputsJson?: string }).inputsJson;
    this.text(span + S_INPUTS * 2, inputsJson ?? JSON.stringify(r.inputs));
    if (r instanceof ClassifierRecord) {
      flags |= PROBABILITIES;
      refs[ref + REF_CLASSES] = shared.of(REF_CLASSES, r.classesJson);
      const classes = r.classes;
      const k = classes.length;
      if (this.scoresUsed + k > this.scores.length) this.growScores(this.scoresUsed + k);
      const at = this.scoresUsed;
      copyProbabilities(r.probabilities, classes, this.scores, at);
      this.scoresUsed = at + k;
      this.numbers[num + NUM_SCORES_AT] = at;
      this.numbers[num + NUM_SCORES_N] = k;
      this.text(span + S_OUTPUTS * 2, null);
      this.text(span + S_FAIRNESS * 2, r.fairness === undefined ? null : JSON.stringify(r.fairness));
    } else {
      refs[ref + REF_CLASSES] = -1;
      this.text(span + S_OUTPUTS * 2, r.outputsJson ?? JSON.stringify(r.outputs));
      this.text(span + S_FAIRNESS * 2, null);
    }
    const groupsJson = (r as { groupsJson?: string | null }).groupsJson;
    this.text(span + S_GROUPS * 2, groupsJson !== undefined ? groupsJson : groupsText(r.groups, this.emptyGroups));
    this.flags[i] = flags;
    const version = String(r.version);
    let v = this.lastVersion;
    if (v === undefined || v[0] !== r.model || v[1] !== version) {
      v = this.versions.find((x) => x[0] === r.model && x[1] === version);
      if (v === undefined) this.versions.push((v = [r.model, version, 0]));
      this.lastVersion = v;
    }
    v[2] += 1;
    this.n = i + 1;
  }

  /** True when a record added since the last seal has id `id`. */
  hasId(id: string): boolean {
    return spansHaveId(this.n, this.spans, this.arena, this.odd, id);
  }

  /**
   * The records added since the last seal, as a segment the builder no longer touches; the builder
   * starts empty. The segment's arrays live in SharedArrayBuffers, so posting it to the writer
   * thread shares them instead of copying them (the serving thread keeps them for a retry, and
   * neither side writes them again). A full segment takes the builder's arrays as they are (the
   * builder allocates new ones of the same size); a small one (a flush interval's few records)
   * gets copies of exact size, so a queue of small segments never holds mostly empty arrays.
   */
  seal(): LogSegment {
    const n = this.n;
    const half = this.capacity >> 1;
    const whole = n >= half && this.used >= this.arena.length >> 1;
    const segment: LogSegment = {
      n,
      shared: this.shared.list,
      refs: whole ? this.refs.subarray(0, n * REFS) : sharedCopy(Int32Array, this.refs, n * REFS),
      numbers: whole ? this.numbers.subarray(0, n * NUMS) : sharedCopy(Float64Array, this.numbers, n * NUMS),
      flags: whole ? this.flags.subarray(0, n) : sharedCopy(Uint8Array, this.flags, n),
      spans: whole ? this.spans.subarray(0, n * SLOTS * 2) : sharedCopy(Int32Array, this.spans, n * SLOTS * 2),
      scores: whole ? this.scores.subarray(0, this.scoresUsed) : sharedCopy(Float64Array, this.scores, this.scoresUsed),
      bytes: whole ? this.arena.subarray(0, this.used) : sharedCopy<Uint8Array>(Uint8Array, this.arena, this.used),
      odd: this.odd,
      versions: this.versions,
    };
    if (whole) {
      this.refs = sharedArray(Int32Array, this.capacity * REFS);
      this.numbers = sharedArray(Float64Array, this.capacity * NUMS);
      this.flags = sharedArray(Uint8Array, this.capacity);
      this.spans = sharedArray(Int32Array, this.capacity * SLOTS * 2);
      this.scores = sharedArray(Float64Array, this.scores.length);
      this.arena = sharedBuffer(this.arena.length);
    }
    this.n = 0;
    this.used = 0;
    this.scoresUsed = 0;
    this.shared.reset();
    this.odd = [];
    this.versions = [];
    this.lastVersion = undefined;
    return segment;
  }

  private grow(): void {
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T): T => {
      const b = sharedArray(a.constructor as new (buffer: SharedArrayBuffer) => T, a.length * 2);
      b.set(a);
      return b;
    };
    this.capacity *= 2;
    this.refs = grow(this.refs);
    this.numbers = grow(this.numbers);
    this.flags = grow(this.flags);
    this.spans = grow(this.spans);
  }

  /** Makes room for `need` probabilities, keeping those written. */
  private growScores(need: number): void {
    const bigger = sharedArray(Float64Array, Math.max(this.scores.length * 2, need));
    bigger.set(this.scores.subarray(0, this.scoresUsed));
    this.scores = bigger;
  }

  /**
   * Writes `s` (a JSON text: well-formed UTF-16) at the arena's end and records its span; null as
   * start -1. Returns false, writing nothing, when `s` holds a surrogate and `odd` is set (an id:
   * the caller keeps it as a JavaScript string, which UTF-8 might not keep).
   */
  private text(at: number, s: string | null, odd = false): boolean {
    if (s === null) {
      this.spans[at] = -1;
      this.spans[at + 1] = -1;
      return true;
    }
    const n = s.length;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const room = this.used + n * 3;
    if (room > this.arena.length) {
      const bigger = sharedBuffer(Math.max(this.arena.length * 2, room));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    const start = this.used;
    const arena = this.arena;
    // Short ASCII text (ids, timestamps, a request's inputs) byte by byte: cheaper than a call into
    // Buffer#write, whose fixed cost dominated the serving thread's share of a record. ASCII holds
    // no surrogate, so an id written here needs no test.
    let i = 0;
    if (n <= ASCII_LOOP_MAX) for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      arena[start + i] = c;
    }
    if (i < n) {
      if (odd && SURROGATE.test(s)) return false;
      this.used = start + arena.write(s, start, 'utf8');
    } else this.used = start + n;
    this.spans[at] = start;
    this.spans[at + 1] = this.used;
    return true;
  }

  /** An id (any string): kept as a JavaScript string when it holds a surrogate. */
  private id(at: number, s: string | null): void {
    if (this.text(at, s, true)) return;
    this.spans[at] = -2 - (this.odd.push(s!) - 1);
    this.spans[at + 1] = -1;
  }
}

function spanText(spans: Int32Array, at: number, bytes: Buffer, odd: readonly string[]): string | null {
  const start = spans[at]!;
  if (start === -1) return null;
  if (start < -1) return odd[-2 - start]!;
  return bytes.toString('utf8', start, spans[at + 1]!);
}

function spansHaveId(n: number, spans: Int32Array, bytes: Buffer, odd: readonly string[], id: string): boolean {
  const length = Buffer.byteLength(id, 'utf8');
  for (let i = 0; i < n; i++) {
    const at = i * SLOTS * 2 + S_ID * 2;
    const start = spans[at]!;
    if (start >= 0 ? spans[at + 1]! - start === length && bytes.toString('utf8', start, spans[at + 1]!) === id : start < -1 && odd[-2 - start] === id) return true;
  }
  return false;
}

/** True when `segment` holds a record with id `id` (a scan: feedback on a prediction still queued is rare). */
export function segmentHasId(segment: LogSegment, id: string): boolean {
  return spansHaveId(segment.n, segment.spans, bufferOf(segment.bytes), segment.odd, id);
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Characters JSON.stringify escapes in a string (any surrogate, to be safe about lone ones). */
// eslint-disable-next-line no-control-regex -- control characters are what JSON.stringify escapes
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(s)`; a string with nothing to escape is quoted as it is (a third of the cost). */
function jsonString(s: string): string {
  return ESCAPED.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** The stored outputs of a classifier row without its probabilities, `{label[, fairness]}`, as JSON text. */
function compactOutputsJson(label: string, fairness: string | null): string {
  return fairness === null ? `{"label":${jsonString(label)}}` : `{"label":${jsonString(label)},"fairness":${fairness}}`;
}

/**
 * A record of a decoded segment: its inputs, outputs and groups are JSON text (`inputsJson`,
 * `outputsJson`, `groupsJson`, null for none), which the store writes as they are; `inputs`,
 * `outputs` and `groups` are parsed when first read (the writer never reads them). A classifier
 * record's outputs are in the compact form instead ({@link CompactClassifierOutputs}: the
 * probabilities as a view of the segment's shared numbers).
 */
export class SegmentRecord implements PredictionRecord {
  #inputs: Record<string, unknown> | undefined = undefined;
  #outputs: Record<string, unknown> | undefined = undefined;
  #groups: Record<string, string | null> | undefined = undefined;
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
    /** `JSON.stringify(outputs)`, or for a classifier record `{label[, fairness]}` (its `compactOutputsJson`). */
    private readonly storedOutputsJson: string,
    readonly groupsJson: string | null,
    readonly label: string | null,
    readonly confidence: number | null,
    readonly decision: Decision,
    readonly latencyMs: number,
    readonly redacted: boolean,
    /** A classifier record's probabilities (float64 little-endian) and class list; undefined for other records. */
    readonly probabilitiesBlob: Uint8Array | undefined,
    readonly classesJson: string | undefined,
  ) {}

  get compactOutputsJson(): string | undefined {
    return this.classesJson === undefined ? undefined : this.storedOutputsJson;
  }

  get outputsJson(): string {
    return this.classesJson === undefined ? this.storedOutputsJson : JSON.stringify(this.outputs);
  }

  get inputs(): Record<string, unknown> {
    return (this.#inputs ??= JSON.parse(this.inputsJson) as Record<string, unknown>);
  }

  get outputs(): Record<string, unknown> {
    if (this.#outputs !== undefined) return this.#outputs;
    const blob = this.probabilitiesBlob;
    const classes = this.classesJson;
    this.#outputs =
      blob !== undefined && classes !== undefined ? outputsWithProbabilities(this.storedOutputsJson, probabilitiesFromBlob(classes, blob)) : (JSON.parse(this.storedOutputsJson) as Record<string, unknown>);
    return this.#outputs;
  }

  get groups(): Record<string, string | null> {
    return (this.#groups ??= this.groupsJson === null ? {} : (JSON.parse(this.groupsJson) as Record<string, string | null>));
  }
}

/** The records of a segment. */
export function decodeLogSegment(s: LogSegment): SegmentRecord[] {
  const out: SegmentRecord[] = new Array(s.n);
  const bytes = bufferOf(s.bytes);
  const { shared, refs, numbers, spans, odd, scores } = s;
  for (let i = 0; i < s.n; i++) {
    const ref = i * REFS;
    const num = i * NUMS;
    const span = i * SLOTS * 2;
    const flags = s.flags[i]!;
    const labelRef = refs[ref + REF_LABEL]!;
    const label = labelRef < 0 ? null : shared[labelRef]!;
    const classifier = (flags & PROBABILITIES) !== 0;
    out[i] = new SegmentRecord(
      spanText(spans, span + S_ID * 2, bytes, odd)!,
      shared[refs[ref + REF_AT]!]!,
      shared[refs[ref + REF_DEPLOYMENT]!]!,
      shared[refs[ref + REF_MODEL]!]!,
      numbers[num + NUM_VERSION]!,
      shared[refs[ref + REF_ROLE]!] as PredictionRole,
      spanText(spans, span + S_PRIMARY * 2, bytes, odd),
      spanText(spans, span + S_REQUEST * 2, bytes, odd),
      spanText(spans, span + S_INPUTS * 2, bytes, odd)!,
      classifier ? compactOutputsJson(label!, spanText(spans, span + S_FAIRNESS * 2, bytes, odd)) : spanText(spans, span + S_OUTPUTS * 2, bytes, odd)!,
      spanText(spans, span + S_GROUPS * 2, bytes, odd),
      label,
      flags & NO_CONFIDENCE ? null : numbers[num + NUM_CONFIDENCE]!,
      shared[refs[ref + REF_DECISION]!] as Decision,
      numbers[num + NUM_LATENCY]!,
      (flags & REDACTED) !== 0,
      classifier ? probabilitiesBlob(scores, numbers[num + NUM_SCORES_AT]!, numbers[num + NUM_SCORES_N]!) : undefined,
      classifier ? shared[refs[ref + REF_CLASSES]!]! : undefined,
    );
  }
  return out;
}

/** Writes `probabilities[classes[c]]` to `scores[at + c]` for every class (NaN for a missing one). */
function copyProbabilities(probabilities: Readonly<Record<string, number>>, classes: readonly string[], scores: Float64Array, at: number): void {
  for (let c = 0; c < classes.length; c++) scores[at + c] = probabilities[classes[c]!] ?? Number.NaN;
}

/** `JSON.stringify(classes)`, made once per class list (a model version's classes array lives as long as the version is served). */
const classesTexts = new WeakMap<readonly string[], string>();

function classesJsonOf(classes: readonly string[]): string {
  let text = classesTexts.get(classes);
  if (text === undefined) classesTexts.set(classes, (text = JSON.stringify(classes)));
  return text;
}

/**
 * A classifier row's record as the serving runtime logs it: the probabilities object it answered
 * with and its model's class list, which a segment copies as numbers (see stored-probabilities.ts:
 * the store keeps them as float64, not as JSON text). `outputs`, `outputsJson` and the compact
 * form are made when first read, which only happens when a record is written without a segment.
 */
export class ClassifierRecord implements PredictionRecord, CompactClassifierOutputs {
  #text: string | undefined = undefined;
  #outputs: Record<string, unknown> | undefined = undefined;
  #blob: Uint8Array | undefined = undefined;
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
    /** `{class: probability}` for every class of `classes`. */
    readonly probabilities: Readonly<Record<string, number>>,
    /** The model's classes, in its order. */
    readonly classes: readonly string[],
    readonly fairness: PlanDecision | undefined,
    readonly label: string,
    readonly confidence: number | null,
    readonly decision: Decision,
    readonly latencyMs: number,
    readonly redacted: boolean,
    readonly groups: Record<string, string | null>,
  ) {}

  get classesJson(): string {
    return classesJsonOf(this.classes);
  }

  get compactOutputsJson(): string {
    return compactOutputsJson(this.label, this.fairness === undefined ? null : JSON.stringify(this.fairness));
  }

  get probabilitiesBlob(): Uint8Array {
    if (this.#blob === undefined) {
      const scores = new Float64Array(this.classes.length);
      copyProbabilities(this.probabilities, this.classes, scores, 0);
      this.#blob = probabilitiesBlob(scores, 0, scores.length);
    }
    return this.#blob;
  }

  get outputs(): Record<string, unknown> {
    return (this.#outputs ??= outputsWithProbabilities(this.compactOutputsJson, probabilitiesFromBlob(this.classesJson, this.probabilitiesBlob)));
  }

  get outputsJson(): string {
    return (this.#text ??= JSON.stringify(this.outputs));
  }
}
