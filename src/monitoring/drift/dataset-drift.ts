/**
 * Dataset-level drift: a reference profile per feature built once, a window that streams rows or
 * column chunks into bounded summaries, and a report (snapshot) of every configured test.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { MloopError } from '../../errors/index.js';
import { CategoricalWindow, profileCategorical } from './categorical-summary.js';
import {
  DEFAULT_DRIFT_TEST,
  getDriftTest,
  runDriftTest,
  runDriftTestOffThread,
  type DriftTestConfig,
  type DriftTestResult,
  type FeatureKind,
  type FeatureProfile,
  type FeatureWindowSummary,
} from './drift-tests.js';
import { NumericWindow, profileNumeric, type NumericProfileOptions } from './numeric-summary.js';
import { TextWindow, profileText } from './text-summary.js';

/** One monitored feature. */
export interface FeatureSpec {
  /** Column name. */
  name: string;
  /** How it is tested. */
  kind: FeatureKind;
  /** Tests to report (default: the kind's default test, see {@link DEFAULT_DRIFT_TEST}). */
  tests?: DriftTestConfig[];
}

/** A reference profile of every monitored feature. */
export interface DatasetProfile {
  /** Features in spec order, with their resolved test list. */
  readonly features: readonly { readonly spec: Required<FeatureSpec>; readonly profile: FeatureProfile }[];
}

/** Columnar input: column name → values. */
export type Columns = Readonly<Record<string, ArrayLike<unknown>>>;

function resolveSpec(spec: FeatureSpec): Required<FeatureSpec> {
  const tests = spec.tests ?? [{ test: DEFAULT_DRIFT_TEST[spec.kind] }];
  for (const t of tests) {
    const def = getDriftTest(t.test);
    if (!def.kinds.includes(spec.kind)) {
      throw MloopError.invalidArgument(`feature '${spec.name}': test '${t.test}' does not apply to ${spec.kind} features`, {
        details: { feature: spec.name, test: t.test, kinds: def.kinds },
      });
    }
  }
  return { name: spec.name, kind: spec.kind, tests };
}

/**
 * Profiles the reference sample once.
 *
 * @example
 * const profile = profileDataset({ age: [..], sex: [..] }, [{ name: 'age', kind: 'numeric' }, { name: 'sex', kind: 'categorical' }]);
 */
export function profileDataset(columns: Columns, specs: readonly FeatureSpec[], options: NumericProfileOptions = {}): DatasetProfile {
  const features = specs.map((s) => {
    const spec = resolveSpec(s);
    const col = columns[spec.name];
    if (!col) throw MloopError.invalidArgument(`reference has no column '${spec.name}'`, { details: { feature: spec.name } });
    let profile: FeatureProfile;
    if (spec.kind === 'numeric') profile = profileNumeric(col as ArrayLike<number | null | undefined>, options);
    else if (spec.kind === 'categorical') profile = profileCategorical(col);
    else profile = profileText(col as ArrayLike<string | null | undefined>);
    return { spec, profile };
  });
  return { features };
}

type AnyWindow = NumericWindow | CategoricalWindow | TextWindow;

function newWindow(profile: FeatureProfile): AnyWindow {
  if (profile.kind === 'numeric') return new NumericWindow(profile);
  if (profile.kind === 'categorical') return new CategoricalWindow();
  return new TextWindow(profile);
}

/** A current window: feed rows or column chunks; memory depends on the profile, not on the rows fed. */
export class DriftWindow {
  readonly #profile: DatasetProfile;
  readonly #windows: AnyWindow[];
  #rows = 0;

  constructor(profile: DatasetProfile) {
    this.#profile = profile;
    this.#windows = profile.features.map((f) => newWindow(f.profile));
  }

  /** Rows added so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Adds one row (absent columns count as missing). */
  addRow(row: Readonly<Record<string, unknown>>): this {
    this.#profile.features.forEach((f, i) => addValue(this.#windows[i] as AnyWindow, row[f.spec.name]));
    this.#rows++;
    return this;
  }

  /** Adds a chunk of columns of equal length. */
  addColumns(columns: Columns): this {
    let len = -1;
    this.#profile.features.forEach((f, i) => {
      const col = columns[f.spec.name];
      if (!col) throw MloopError.invalidArgument(`window chunk has no column '${f.spec.name}'`, { details: { feature: f.spec.name } });
      if (len >= 0 && col.length !== len) throw MloopError.invalidArgument('window chunk columns differ in length');
      len = col.length;
      const w = this.#windows[i] as AnyWindow;
      if (w instanceof NumericWindow) w.addAll(col as ArrayLike<number | null | undefined>);
      else if (w instanceof TextWindow) w.addAll(col as ArrayLike<string | null | undefined>);
      else w.addAll(col);
    });
    this.#rows += Math.max(0, len);
    return this;
  }

  /** The bounded summaries, in feature order. */
  summaries(): FeatureWindowSummary[] {
    return this.#windows.map((w) => w.summary);
  }
}

function addValue(w: AnyWindow, v: unknown): void {
  if (w instanceof NumericWindow) w.add(v === null || v === undefined || v === '' ? null : Number(v));
  else if (w instanceof TextWindow) w.add(v === null || v === undefined ? null : String(v));
  else w.add(v);
}

/** A drift snapshot: every configured test of every feature for one window. */
export interface DriftReport {
  /** Rows in the window. */
  window_rows: number;
  /** Per feature, its results (or a per-item error instead of throwing). */
  features: {
    feature: string;
    kind: FeatureKind;
    missing_current: number;
    results: DriftTestResult[];
    errors: { test: string; code: string; message: string }[];
  }[];
}

/**
 * {@link computeDrift} for a server: the domain classifier runs on a worker thread, and the event
 * loop gets a turn after each feature. The same report.
 */
export async function computeDriftOffThread(profile: DatasetProfile, window: DriftWindow): Promise<DriftReport> {
  const summaries = window.summaries();
  const features: DriftReport['features'] = [];
  for (const [i, f] of profile.features.entries()) {
    const s = summaries[i] as FeatureWindowSummary;
    const results: DriftTestResult[] = [];
    const errors: { test: string; code: string; message: string }[] = [];
    for (const t of f.spec.tests) {
      try {
        results.push(await runDriftTestOffThread(t, f.profile, s));
      } catch (e) {
        if (!(e instanceof MloopError) || e.code === 'INTERNAL') throw e;
        errors.push({ test: t.test, code: e.code, message: e.message });
      }
    }
    features.push({ feature: f.spec.name, kind: f.spec.kind, missing_current: s.missing, results, errors });
    await yieldToEventLoop();
  }
  return { window_rows: window.rows, features };
}

/** Runs every configured test on a window; a test that cannot run reports an error item. */
export function computeDrift(profile: DatasetProfile, window: DriftWindow): DriftReport {
  const summaries = window.summaries();
  return {
    window_rows: window.rows,
    features: profile.features.map((f, i) => {
      const s = summaries[i] as FeatureWindowSummary;
      const results: DriftTestResult[] = [];
      const errors: { test: string; code: string; message: string }[] = [];
      for (const t of f.spec.tests) {
        try {
          results.push(runDriftTest(t, f.profile, s));
        } catch (e) {
          if (!(e instanceof MloopError)) throw e;
          errors.push({ test: t.test, code: e.code, message: e.message });
        }
      }
      return { feature: f.spec.name, kind: f.spec.kind, missing_current: s.missing, results, errors };
    }),
  };
}
