import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { LinearModel, trainLinear } from './linear.js';

// Reference numbers from scikit-learn 1.2.1 (/usr/bin/python3, Debian 12):
//   ColumnTransformer([StandardScaler() on x, OneHotEncoder() on c]) then
//   LogisticRegression(C=1, tol=1e-12) / LogisticRegression(C=0.5, multinomial) / Ridge(alpha=2)
const x = [0.5, 1.2, -0.3, 2.2, 1.8, -1.0, 0.0, 3.1, 2.5, -0.7, 1.1, 0.9];
const c = ['a', 'b', 'a', 'c', 'b', 'a', 'c', 'c', 'b', 'a', 'c', 'b'];
const y = ['0', '1', '0', '1', '1', '0', '0', '1', '0', '0', '1', '1'];
const y3 = [0, 1, 0, 2, 1, 0, 2, 2, 1, 0, 2, 1];
const yr = [1.0, 2.5, 0.2, 4.1, 3.3, -0.5, 0.9, 5.2, 3.9, 0.1, 2.8, 2.0];
const features = [
  { name: 'x', kind: 'numeric' as const },
  { name: 'c', kind: 'categorical' as const },
];

const close = (a: readonly number[], b: readonly number[], tol: number): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(tol));
};

describe('trainLinear', () => {
  it('matches scikit-learn LogisticRegression (binary, C = 1)', async () => {
    const m = await trainLinear({ columns: { x, c, y } }, 'y', { task: 'classification', features, l2: 1, tolerance: 1e-10 });
    const j = m.toJSON();
    close(j.coef[0]!, [0.8090224777020397, -0.6980157823304329, 0.3348675712116929, 0.3631506609685067], 1e-5);
    close(j.intercept, [-0.04394171115244994], 1e-5);
    close(
      m.predictProba({ columns: { x: x.slice(0, 3), c: c.slice(0, 3) } }).map((p) => p[1]!),
      [0.26326909003721066, 0.6127402796541773, 0.17522272563841199],
      1e-5,
    );
  });

  it('matches scikit-learn multinomial LogisticRegression (C = 0.5)', async () => {
    const m = await trainLinear({ columns: { x, c, y: y3 } }, 'y', { task: 'classification', features, l2: 2, tolerance: 1e-10 });
    const j = m.toJSON();
    expect(j.classes).toEqual(['0', '1', '2']);
    const ref = [
      [-0.6035994931603603, 0.575001284963927, -0.2728107759247444, -0.3021999680956531],
      [0.31755735543635266, -0.2823125516361038, 0.6971858369191969, -0.4148567118568669],
      [0.28604213772400783, -0.29268873332782325, -0.4243750609944524, 0.7170566799525199],
    ];
    ref.forEach((r, k) => close(j.coef[k]!, r, 1e-4));
    close(j.intercept, [-0.1237130871634197, 0.053177892676917, 0.07053519448650263], 1e-4);
  });

  it('matches scikit-learn Ridge (alpha = 2)', async () => {
    const m = await trainLinear({ columns: { x, c, y: yr } }, 'y', { task: 'regression', features, l2: 2, tolerance: 1e-10 });
    const j = m.toJSON();
    close(j.coef[0]!, [1.3016790606536615, -0.36531963233886544, 0.07432648283609976, 0.29099314950276634], 1e-5);
    close(j.intercept, [2.125], 1e-5);
  });

  it('encodes missing values and unseen categories, and round-trips through JSON', async () => {
    const xs = [...x, NaN, NaN];
    const cs = [...c, null, 'a'];
    const ys = [...y, '1', '0'];
    const m = await trainLinear({ columns: { x: xs, c: cs, y: ys } }, 'y', { task: 'classification', features });
    const f = m.features;
    expect(f[0]!.kind === 'numeric' && f[0]!.missingColumn).not.toBeNull();
    expect(f[1]!.kind === 'categorical' && f[1]!.missingColumn).not.toBeNull();
    const rows = [{ x: 1, c: 'zzz' }, { x: null, c: null }, { x: Infinity, c: 'b' }];
    const back = LinearModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(back.predictRaw(rows))).toEqual(Array.from(m.predictRaw(rows)));
    // +Infinity is clipped to the training maximum
    expect(m.predictRaw([{ x: Infinity, c: 'b' }])[0]).toBeCloseTo(m.predictRaw([{ x: 3.1, c: 'b' }])[0]!, 12);
  });

  it('rejects bad input with MloopError', async () => {
    const table = { columns: { x, c, y } };
    const codeOf = async (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: unknown) => (isMloopError(e) ? e.code : 'other'));
    expect(await codeOf(trainLinear(table, 'nope', { task: 'classification' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(trainLinear(table, 'y', { task: 'classification', l2: -1 }))).toBe('INVALID_ARGUMENT');
    await expect(trainLinear(table, 'y', { task: 'classification', l2: -1, maxIter: 0 })).rejects.toThrow('invalid linear options: l2 must be a finite number ≥ 0, got -1; maxIter must be an integer ≥ 1, got 0');
    expect(await codeOf(trainLinear({ columns: { x, y: x.map(() => 'a') } }, 'y', { task: 'classification' }))).toBe('INVALID_ARGUMENT');
    expect(() => LinearModel.fromJSON({ format: 'mloop.gbdt' })).toThrow(/not a linear model/);
  });
});
