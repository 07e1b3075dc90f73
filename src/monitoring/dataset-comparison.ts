/**
 * `mloop monitor drift --reference <ref> --current <ref>`: drift between two dataset versions,
 * feature by feature, with alarms calibrated on the reference itself.
 */
import { readColumns, type ColumnData, type DatasetService } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import { calibrateAlarms, evaluateAlarms, type AlarmPolicy, type FeatureAlarm } from './drift/alarms.js';
import { computeDrift, DriftWindow, profileDataset, type FeatureSpec } from './drift/dataset-drift.js';
import type { DriftTestResult, FeatureKind } from './drift/drift-tests.js';

export interface CompareRequest {
  reference: string;
  current: string;
  /** Columns to compare (default: every column both versions share, except ids and times). */
  columns?: string[];
  policy?: AlarmPolicy;
}

export interface FeatureDriftRow {
  name: string;
  kind: FeatureKind;
  test: string;
  statistic: number;
  p_value: number | null;
  effect_size: number;
  /** True when the calibrated alarm fires (threshold, minimum effect and Benjamini–Hochberg). */
  drift: boolean;
  alarm: FeatureAlarm | null;
  /** Every test run on the feature. */
  results: DriftTestResult[];
  errors: Array<{ test: string; code: string; message: string }>;
}

/** A column whose type differs between the two versions: a schema change, never tested for drift. */
export interface SchemaChange {
  name: string;
  reference_type: string;
  current_type: string;
}

export interface DatasetDriftReport {
  reference: string;
  current: string;
  reference_rows: number;
  current_rows: number;
  features: FeatureDriftRow[];
  /**
   * Compared columns whose kind of values differs between the versions (numeric in the reference,
   * text in the current data, say). They are not in `features`: a drift test would compare values
   * of different kinds.
   */
  schema_changes: SchemaChange[];
  /** Share of features in alarm; `detected` when at least half are. */
  dataset_drift: { drifted: number; total: number; share: number; detected: boolean };
  method: { false_alarm_rate: number; fdr: number; bootstrap: number; seed: number };
}

const KIND: Record<string, FeatureKind | undefined> = { numeric: 'numeric', integer: 'numeric', boolean: 'categorical', categorical: 'categorical', text: 'text' };

function asColumn(c: ColumnData, kind: FeatureKind): ArrayLike<unknown> {
  if (c.kind === 'numeric') return kind === 'numeric' ? c.values : Array.from(c.values, (v) => (Number.isNaN(v) ? null : String(v)));
  return c.values;
}

/**
 * Compares two dataset versions. INVALID_ARGUMENT when both refer to the same version (a bare
 * name is the latest version), which would report no drift whatever the data. A column whose type
 * changed (numeric in the reference, categorical in the current data) is listed in
 * `schema_changes` and not tested; INVALID_ARGUMENT when no comparable column is left.
 *
 * @example
 * const r = await compareDatasets(datasets, { reference: 'elec@1', current: 'elec@2' });
 */
export async function compareDatasets(datasets: DatasetService, req: CompareRequest): Promise<DatasetDriftReport> {
  const [ref, cur] = await Promise.all([datasets.show(req.reference), datasets.show(req.current)]);
  // A bare name is its latest version: compared with itself, every feature would pass unseen.
  if (ref.ref === cur.ref) {
    throw MloopError.invalidArgument(`the reference '${req.reference}' and the current data '${req.current}' are the same version, ${cur.ref}: a version compared with itself never drifts`, {
      hint: `name two versions, such as --reference ${cur.ref.replace(/@\d+$/, '')}@1 --current ${cur.ref}`,
    });
  }
  const curNames = new Map(cur.schema.map((c) => [c.name, c]));
  const specs: FeatureSpec[] = [];
  const schemaChanges: SchemaChange[] = [];
  const wanted = req.columns ?? ref.schema.filter((c) => curNames.has(c.name) && !c.roles.includes('id') && !c.roles.includes('time')).map((c) => c.name);
  for (const name of wanted) {
    const r = ref.schema.find((c) => c.name === name);
    if (!r) throw MloopError.notFound('column', `${ref.ref}:${name}`, { hint: `columns of ${ref.ref}: ${ref.schema.map((c) => c.name).join(', ')}` });
    const c = curNames.get(name);
    if (!c) throw MloopError.notFound('column', `${cur.ref}:${name}`, { hint: `columns of ${cur.ref}: ${cur.schema.map((x) => x.name).join(', ')}` });
    const kind = KIND[r.type];
    if (kind === undefined) {
      if (req.columns) throw MloopError.invalidArgument(`column '${name}' is of type ${r.type}, which drift tests do not compare`);
      continue;
    }
    // The test is chosen by the reference's type: text values read as numbers would be NaN.
    if (KIND[c.type] !== kind) {
      schemaChanges.push({ name, reference_type: r.type, current_type: c.type });
      continue;
    }
    specs.push(kind === 'text' ? { name, kind, tests: [{ test: 'drift:text-oov' }, { test: 'drift:text-token-js' }, { test: 'drift:text-domain-auc' }] } : { name, kind });
  }
  if (specs.length === 0) {
    const changed = schemaChanges.map((x) => `'${x.name}' is ${x.reference_type} in ${ref.ref} but ${x.current_type} in ${cur.ref}`).join('; ');
    throw MloopError.invalidArgument(`${ref.ref} and ${cur.ref} share no comparable columns${changed ? `: schema change, ${changed}` : ''}`);
  }
  const names = specs.map((s) => s.name);
  const [refCols, curCols] = await Promise.all([readColumns(datasets, ref.ref, names), readColumns(datasets, cur.ref, names)]);
  const toColumns = (read: typeof refCols) => Object.fromEntries(specs.map((s) => [s.name, asColumn(read.columns[s.name]!, s.kind)]));
  const profile = profileDataset(toColumns(refCols), specs);
  const window = new DriftWindow(profile).addColumns(toColumns(curCols));
  const report = computeDrift(profile, window);
  const calibration = calibrateAlarms(profile, window.rows, req.policy ?? {});
  const alarms = evaluateAlarms(calibration, report);
  const features: FeatureDriftRow[] = report.features.map((f) => {
    const alarm = alarms.features.find((a) => a.feature === f.feature) ?? null;
    const first = f.results[0];
    return {
      name: f.feature,
      kind: f.kind,
      test: first?.test ?? 'none',
      statistic: first?.statistic ?? Number.NaN,
      p_value: first?.p_value ?? null,
      effect_size: first?.effect_size ?? Number.NaN,
      drift: alarm?.status === 'alarm',
      alarm,
      results: f.results,
      errors: f.errors,
    };
  });
  const drifted = features.filter((f) => f.drift).length;
  return {
    reference: ref.ref,
    current: cur.ref,
    reference_rows: refCols.rows,
    current_rows: curCols.rows,
    features,
    schema_changes: schemaChanges,
    dataset_drift: { drifted, total: features.length, share: drifted / features.length, detected: drifted / features.length >= 0.5 },
    method: { false_alarm_rate: calibration.false_alarm_rate, fdr: calibration.fdr, bootstrap: calibration.bootstrap, seed: calibration.seed },
  };
}
