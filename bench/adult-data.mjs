// Adult (../shared/datasets/adult) as the Adult benchmarks read it: the column kinds, and a tiny CSV
// reader (no quoting in these files; '?' stays a category, as the peer script does; numeric '?' or
// empty is NaN). Shared by tabular-adult.bench.mjs, adult-first-fit-ab.mjs, adult-seed-spread.mjs and
// gbdt-defaults-cv.mjs (which reads its other tables with it too).
import { readFileSync } from 'node:fs';

export const NUM = ['age', 'fnlwgt', 'education_num', 'capital_gain', 'capital_loss', 'hours_per_week'];
export const CAT = ['workclass', 'education', 'marital_status', 'occupation', 'relationship', 'race', 'sex', 'native_country'];
/** Every feature with its kind, numeric first: the benchmarks' `features` option. */
export const FEATURES = [...NUM.map((name) => ({ name, kind: 'numeric' })), ...CAT.map((name) => ({ name, kind: 'categorical' }))];

/**
 * Reads one unquoted CSV into `{ columns, header, n }`: the columns `isNumeric` names as Float64Array
 * ('?' or empty is NaN), the rest as strings. Default: Adult's numeric columns.
 */
export function readAdultCsv(path, isNumeric = (h) => NUM.includes(h)) {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const cols = Object.fromEntries(header.map((h) => [h, []]));
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    header.forEach((h, j) => cols[h].push(cells[j]));
  }
  const columns = {};
  for (const h of header) columns[h] = isNumeric(h) ? Float64Array.from(cols[h], (v) => (v === '?' || v === '' ? NaN : Number(v))) : cols[h];
  return { columns, header, n: lines.length - 1 };
}
