/**
 * ONNX export of mloop's tabular models (docs/onnx.md). Every graph has one input per feature,
 * shape [N, 1]: numeric features as double (NaN = missing), categorical features as string
 * ("" = missing). Classifiers output `label` [N] (string) and `probabilities` [N, K] (double, in
 * `classes` order); regressors output `value` [N, 1] (double).
 *
 * GBDT: ai.onnx.ml TreeEnsemble (opset 5) in double precision. Numeric splits are BRANCH_LEQ on
 * the original value with `nodes_missing_value_tracks_true` from the model's missing direction;
 * categorical features go through a LabelEncoder to the model's category ids (1 = other/unseen,
 * 2 + j = categories[j], "" → NaN) and category bitset splits become BRANCH_MEMBER sets (bit 0,
 * missing, becomes `nodes_missing_value_tracks_true`). Base scores, sigmoid/Platt/isotonic
 * calibration and softmax are standard operators.
 *
 * Linear: standardisation (Sub/Div in double) and OneHotEncoder feed a LinearRegressor that
 * computes the raw scores (float32, as that operator is defined), followed by the same
 * double-precision head.
 */
import { MLOOP_VERSION } from '../config/index.js';
import { MloopError } from '../errors/index.js';
import type { GbdtModelJson, GbdtTreeJson, LinearModelJson, Calibrator } from '../training/index.js';
import { ELEM, GraphBuilder, doubleTensor, uint8Tensor, stringTensor } from './onnx-builder.js';

/** Opsets of exported graphs: ai.onnx 17 and ai.onnx.ml 5 (TreeEnsemble); onnxruntime ≥ 1.20 runs them. */
export const ONNX_EXPORT_OPSETS = Object.freeze({ '': 17, 'ai.onnx.ml': 5 });

/** What the exported graph reads and writes, for docs and for callers. */
export interface OnnxExportInfo {
  /** Graph inputs in order: one per feature. */
  inputs: Array<{ name: string; type: 'double' | 'string'; kind: 'numeric' | 'categorical' }>;
  /** Graph outputs. */
  outputs: string[];
  classes: string[] | null;
}

/** Options common to every exporter. */
export interface OnnxExportOptions {
  /** Model reference recorded in the graph's metadata (e.g. `churn@3`). */
  ref?: string;
}

const MAX = Number.MAX_VALUE;
const BRANCH_LEQ = 0;
const BRANCH_MEMBER = 6;
const MISSING = '';

/** Category string → model category id (LabelEncoder), as double; "" → NaN unless "" is a category. */
function encodeCategory(g: GraphBuilder, input: string, categories: readonly string[], ids: readonly number[], otherId: number): string {
  const keys = [...categories];
  const values = [...ids];
  if (!categories.includes(MISSING)) {
    keys.push(MISSING);
    values.push(NaN);
  }
  const codes = g.op('LabelEncoder', [input], { keys_strings: { strings: keys }, values_floats: { floats: values }, default_float: { f: otherId } }, 'ai.onnx.ml');
  return g.op('Cast', [codes], { to: { i: ELEM.DOUBLE } });
}

/** Probabilities (and label) from raw scores `raw` [N, K]; or the value for regression. */
function head(g: GraphBuilder, raw: string, K: number, classes: readonly string[] | null, calibrator: Calibrator): string[] {
  if (classes === null) {
    g.output(raw, 'value', ELEM.DOUBLE, ['N', 1]);
    return ['value'];
  }
  let probabilities: string;
  if (K === 1) {
    let p: string;
    if (calibrator.method === 'platt') p = g.op('Sigmoid', [g.op('Add', [g.op('Mul', [raw, g.doubles([calibrator.a], [])]), g.doubles([calibrator.b], [])])]);
    else if (calibrator.method === 'isotonic') p = isotonic(g, g.op('Sigmoid', [raw]), calibrator.x, calibrator.y);
    else p = g.op('Sigmoid', [raw]);
    probabilities = g.op('Concat', [g.op('Sub', [g.doubles([1], []), p]), p], { axis: { i: 1 } });
  } else {
    probabilities = g.op('Softmax', [raw], { axis: { i: 1 } });
  }
  const index = g.op('ArgMax', [probabilities], { axis: { i: 1 }, keepdims: { i: 0 } });
  const label = g.op('Gather', [g.constant(stringTensor(classes, [classes.length]), 'classes'), index], { axis: { i: 0 } });
  g.output(label, 'label', ELEM.STRING, ['N']);
  g.output(probabilities, 'probabilities', ELEM.DOUBLE, ['N', classes.length]);
  return ['label', 'probabilities'];
}

/**
 * Isotonic map of `u` [N, 1] through (xs, ys), constant beyond the ends: as a sum of clipped
 * segments, y0 + Σ slope_i · (clip(u, x_i, x_i+1) − x_i), which equals linear interpolation.
 */
function isotonic(g: GraphBuilder, u: string, xs: readonly number[], ys: readonly number[]): string {
  const m = xs.length;
  if (m === 0) return u;
  if (m === 1) return g.op('Add', [g.op('Mul', [u, g.doubles([0], [])]), g.doubles([ys[0]!], [])]);
  for (let i = 1; i < m; i++) {
    if (!(xs[i]! > xs[i - 1]!)) throw MloopError.failedPrecondition('the isotonic calibration map is not strictly increasing; it cannot be exported');
  }
  const lo = xs.slice(0, m - 1);
  const hi = xs.slice(1);
  const slope = lo.map((x0, i) => (ys[i + 1]! - ys[i]!) / (hi[i]! - x0));
  const clipped = g.op('Min', [g.op('Max', [u, g.doubles(lo)]), g.doubles(hi)]);
  const terms = g.op('Mul', [g.op('Sub', [clipped, g.doubles(lo)]), g.doubles(slope)]);
  const sum = g.op('ReduceSum', [terms, g.int64s([1])], { keepdims: { i: 1 } });
  return g.op('Add', [sum, g.doubles([ys[0]!], [])]);
}

function metadata(kind: string, classes: readonly string[] | null, info: OnnxExportInfo['inputs'], ref: string | undefined): Record<string, string> {
  return {
    'mloop.learner': kind,
    ...(ref === undefined ? {} : { 'mloop.model': ref }),
    'mloop.inputs': JSON.stringify(info),
    ...(classes === null ? {} : { 'mloop.classes': JSON.stringify(classes) }),
  };
}

/**
 * A GBDT model as an ONNX graph (see the module comment).
 *
 * @example
 * const { bytes } = gbdtToOnnx(model.toJSON());
 */
export function gbdtToOnnx(json: GbdtModelJson, options: OnnxExportOptions = {}): { bytes: Uint8Array; info: OnnxExportInfo } {
  const g = new GraphBuilder();
  const info: OnnxExportInfo['inputs'] = [];
  const columns = json.features.map((f) => {
    if (f.kind === 'numeric') {
      info.push({ name: f.name, type: 'double', kind: 'numeric' });
      return g.input(f.name, ELEM.DOUBLE, ['N', 1]);
    }
    info.push({ name: f.name, type: 'string', kind: 'categorical' });
    const cats = f.categories ?? [];
    return encodeCategory(g, g.input(f.name, ELEM.STRING, ['N', 1]), cats, cats.map((_, j) => j + 2), 1);
  });
  const X = columns.length === 1 ? columns[0]! : g.op('Concat', columns, { axis: { i: 1 } });
  const K = json.baseScore.length;
  const e = encodeTrees(json.trees, json.features.map((f) => f.kind));
  const trees = g.op(
    'TreeEnsemble',
    [X],
    {
      nodes_featureids: { ints: e.featureIds },
      nodes_modes: { t: uint8Tensor(e.modes, [e.modes.length]) },
      nodes_splits: { t: doubleTensor(e.splits, [e.splits.length]) },
      nodes_truenodeids: { ints: e.trueIds },
      nodes_trueleafs: { ints: e.trueLeafs },
      nodes_falsenodeids: { ints: e.falseIds },
      nodes_falseleafs: { ints: e.falseLeafs },
      nodes_missing_value_tracks_true: { ints: e.missingTrue },
      ...(e.membership.length > 0 ? { membership_values: { t: doubleTensor(e.membership, [e.membership.length]) } } : {}),
      leaf_targetids: { ints: e.leafTargets },
      leaf_weights: { t: doubleTensor(e.leafWeights, [e.leafWeights.length]) },
      tree_roots: { ints: e.roots },
      n_targets: { i: K },
      aggregate_function: { i: 1 },
      post_transform: { i: 0 },
    },
    'ai.onnx.ml',
  );
  const raw = g.op('Add', [trees, g.doubles(json.baseScore, [1, K])]);
  const outputs = head(g, raw, K, json.classes, json.calibrator);
  const bytes = g.toBytes({
    opsets: ONNX_EXPORT_OPSETS,
    producerVersion: MLOOP_VERSION,
    docString: `mloop GBDT (${json.objective}, ${json.trees.length} trees)`,
    metadata: metadata('gbdt', json.classes, info, options.ref),
    graphName: 'mloop_gbdt',
  });
  return { bytes, info: { inputs: info, outputs, classes: json.classes } };
}

interface EncodedTrees {
  featureIds: number[];
  modes: number[];
  splits: number[];
  trueIds: number[];
  trueLeafs: number[];
  falseIds: number[];
  falseLeafs: number[];
  missingTrue: number[];
  membership: number[];
  leafTargets: number[];
  leafWeights: number[];
  roots: number[];
}

/** mloop trees (parallel arrays, node 0 = root) → TreeEnsemble's interior-node and leaf tuples. */
function encodeTrees(trees: readonly GbdtTreeJson[], kinds: readonly ('numeric' | 'categorical')[]): EncodedTrees {
  const e: EncodedTrees = { featureIds: [], modes: [], splits: [], trueIds: [], trueLeafs: [], falseIds: [], falseLeafs: [], missingTrue: [], membership: [], leafTargets: [], leafWeights: [], roots: [] };
  for (const t of trees) {
    const n = t.feature.length;
    const id = new Int32Array(n);
    let interior = e.featureIds.length;
    let leaves = e.leafWeights.length;
    for (let i = 0; i < n; i++) id[i] = t.feature[i]! >= 0 ? interior++ : leaves++;
    for (let i = 0; i < n; i++) {
      if (t.feature[i]! < 0) {
        e.leafTargets.push(t.output);
        e.leafWeights.push(t.value[i]!);
      }
    }
    if (t.feature[0]! < 0) {
      // a single-leaf tree: one interior node whose both branches reach the leaf
      e.roots.push(e.featureIds.length);
      pushNode(e, 0, BRANCH_LEQ, 0, id[0]!, 1, id[0]!, 1, 0);
      continue;
    }
    e.roots.push(id[0]!);
    for (let i = 0; i < n; i++) {
      const f = t.feature[i]!;
      if (f < 0) continue;
      const l = t.left[i]!;
      const r = t.right[i]!;
      const lLeaf = t.feature[l]! < 0 ? 1 : 0;
      const rLeaf = t.feature[r]! < 0 ? 1 : 0;
      if (kinds[f] === 'numeric') {
        const th = t.threshold[i]!;
        // mloop clips +∞ to MAX_VALUE before comparing; a split at MAX_VALUE sends every present value left
        pushNode(e, f, BRANCH_LEQ, th >= MAX ? Infinity : th, id[l]!, lLeaf, id[r]!, rLeaf, t.missingLeft[i]! === 1 ? 1 : 0);
      } else {
        const bits = t.catBitset[i]!;
        const has = (b: number): boolean => ((bits[b >>> 5]! >>> (b & 31)) & 1) === 1;
        const members: number[] = [];
        for (let b = 1; b < 256; b++) if (has(b)) members.push(b);
        if (members.length === 0) {
          // only missing goes left: no present id is ≤ −∞
          pushNode(e, f, BRANCH_LEQ, -Infinity, id[l]!, lLeaf, id[r]!, rLeaf, has(0) ? 1 : 0);
        } else {
          pushNode(e, f, BRANCH_MEMBER, 0, id[l]!, lLeaf, id[r]!, rLeaf, has(0) ? 1 : 0);
          e.membership.push(...members, NaN);
        }
      }
    }
  }
  return e;
}

function pushNode(e: EncodedTrees, feature: number, mode: number, split: number, trueId: number, trueLeaf: number, falseId: number, falseLeaf: number, missingTrue: number): void {
  e.featureIds.push(feature);
  e.modes.push(mode);
  e.splits.push(split);
  e.trueIds.push(trueId);
  e.trueLeafs.push(trueLeaf);
  e.falseIds.push(falseId);
  e.falseLeafs.push(falseLeaf);
  e.missingTrue.push(missingTrue);
}

/**
 * A linear model as an ONNX graph (see the module comment).
 *
 * @example
 * const { bytes } = linearToOnnx(model.toJSON());
 */
export function linearToOnnx(json: LinearModelJson, options: OnnxExportOptions = {}): { bytes: Uint8Array; info: OnnxExportInfo } {
  const g = new GraphBuilder();
  const info: OnnxExportInfo['inputs'] = [];
  const blocks: string[] = [];
  let next = 0;
  const expect = (column: number | null): void => {
    if (column === null) return;
    if (column !== next) throw MloopError.internal(`linear model columns are not in feature order (column ${column}, expected ${next})`);
    next++;
  };
  for (const f of json.features) {
    if (f.kind === 'numeric') {
      info.push({ name: f.name, type: 'double', kind: 'numeric' });
      const x = g.input(f.name, ELEM.DOUBLE, ['N', 1]);
      const isNan = g.op('IsNaN', [x]);
      // missing → the mean (standardises to 0); ±∞ → the training max/min
      let v = g.op('Where', [isNan, g.doubles([f.mean], []), x]);
      v = g.op('Where', [g.op('IsInf', [v], { detect_negative: { i: 0 } }), g.doubles([f.max], []), v]);
      v = g.op('Where', [g.op('IsInf', [v], { detect_positive: { i: 0 } }), g.doubles([f.min], []), v]);
      expect(f.column);
      // standardised in double: Scaler's float32 offset would shift values by up to 6e-8·|mean|/std
      const z = g.op('Div', [g.op('Sub', [v, g.doubles([f.mean], [])]), g.doubles([f.std], [])]);
      blocks.push(g.op('Cast', [z], { to: { i: ELEM.FLOAT } }));
      if (f.missingColumn !== null) {
        expect(f.missingColumn);
        blocks.push(g.op('Cast', [isNan], { to: { i: ELEM.FLOAT } }));
      }
    } else {
      info.push({ name: f.name, type: 'string', kind: 'categorical' });
      const x = g.input(f.name, ELEM.STRING, ['N', 1]);
      // labels → their one-hot slot: known categories keep their name, "" → missing, others → other
      const OTHER = '\u0000other';
      const MISSING_SLOT = '\u0000missing';
      const keys = [...f.categories];
      const values = [...f.categories];
      if (!f.categories.includes(MISSING)) {
        keys.push(MISSING);
        values.push(MISSING_SLOT);
      }
      const slot = g.op('LabelEncoder', [x], { keys_strings: { strings: keys }, values_strings: { strings: values }, default_string: { s: OTHER } }, 'ai.onnx.ml');
      const cats = [...f.categories];
      f.columns.forEach(expect);
      if (f.otherColumn !== null) {
        expect(f.otherColumn);
        cats.push(OTHER);
      }
      if (f.missingColumn !== null) {
        expect(f.missingColumn);
        cats.push(MISSING_SLOT);
      }
      const onehot = g.op('OneHotEncoder', [slot], { cats_strings: { strings: cats }, zeros: { i: 1 } }, 'ai.onnx.ml');
      blocks.push(g.op('Reshape', [onehot, g.int64s([-1, cats.length])]));
    }
  }
  if (next !== json.nColumns) throw MloopError.internal(`linear model has ${json.nColumns} columns but its features map ${next}`);
  const X = blocks.length === 1 ? blocks[0]! : g.op('Concat', blocks, { axis: { i: 1 } });
  const K = json.intercept.length;
  const scores = g.op('LinearRegressor', [X], { coefficients: { floats: json.coef.flat() }, intercepts: { floats: json.intercept }, targets: { i: K } }, 'ai.onnx.ml');
  const raw = g.op('Cast', [scores], { to: { i: ELEM.DOUBLE } });
  const outputs = head(g, raw, K, json.classes, json.calibrator);
  const bytes = g.toBytes({
    opsets: ONNX_EXPORT_OPSETS,
    producerVersion: MLOOP_VERSION,
    docString: `mloop linear model (${json.objective})`,
    metadata: metadata('linear', json.classes, info, options.ref),
    graphName: 'mloop_linear',
  });
  return { bytes, info: { inputs: info, outputs, classes: json.classes } };
}
