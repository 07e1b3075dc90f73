#!/usr/bin/env node
// Drift alarms on real data that is not in ../shared: the datasets bundled with Debian's
// python3-statsmodels. Every comparison goes through the CLI as a new user would
// (`mloop data import`, then `mloop monitor drift --json`), and scipy computes the same KS and
// chi-square tests beside it.
//
//   npm run build && node bench/real-drift.bench.mjs
//
// Cases:
// - Nile annual flow 1871–1970 (Cobb 1978): the Aswan dam's change point at 1898. Reference
//   1871–1897, current 1899–1970: `volume` must alarm.
// - US macro data 1959–2009, quarterly (statsmodels macrodata): reference before 1984, current
//   from 1984. Level series (GDP, prices, population) drift; `quarter` is the same uniform
//   calendar variable in both and must not alarm (like elec2's `period`).
// - Mauna Loa CO₂, weekly 1958–2001: reference 1958–1979, current 1980–2001: `co2` must alarm,
//   `week` (week of the year) must not.
// - Controls without drift: the rows of each dataset split at random (seeded) into two halves;
//   nothing may alarm.
// Needs /usr/bin/python3 with statsmodels and scipy (apt-get install python3-statsmodels python3-scipy).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib.mjs';

const DIST = process.env.MLOOP_DIST ?? fileURLToPath(new URL('../dist/', import.meta.url));
const BIN = path.join(DIST, 'cli', 'bin.js');
const PY = '/usr/bin/python3';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-real-drift-'));

const EXPORT = String.raw`
import json, sys
import numpy as np
import statsmodels.api as sm
out = sys.argv[1]
rng = np.random.default_rng(7)
cases = []
def halves(df, name):
    idx = rng.permutation(len(df)); h = len(df) // 2
    df.iloc[np.sort(idx[:h])].to_csv(f"{out}/{name}_a.csv", index=False)
    df.iloc[np.sort(idx[h:])].to_csv(f"{out}/{name}_b.csv", index=False)
    cases.append({"case": f"{name}: random halves (no drift)", "ref": f"{name}_a", "cur": f"{name}_b", "expect_alarm": [], "expect_quiet": "all"})

nile = sm.datasets.nile.load_pandas().data
nile["year"] = nile["year"].astype(int)
nile[nile.year <= 1897].to_csv(f"{out}/nile_ref.csv", index=False)
nile[nile.year >= 1899].to_csv(f"{out}/nile_cur.csv", index=False)
cases.append({"case": "Nile flow: 1871–1897 vs 1899–1970 (dam)", "ref": "nile_ref", "cur": "nile_cur", "expect_alarm": ["volume"], "expect_quiet": []})
halves(nile[nile.year >= 1899].reset_index(drop=True), "nile_after")

macro = sm.datasets.macrodata.load_pandas().data
macro["year"] = macro["year"].astype(int)
macro["quarter"] = macro["quarter"].astype(int).map(lambda q: f"Q{q}")
macro[macro.year < 1984].to_csv(f"{out}/macro_ref.csv", index=False)
macro[macro.year >= 1984].to_csv(f"{out}/macro_cur.csv", index=False)
cases.append({"case": "US macro: 1959–1983 vs 1984–2009", "ref": "macro_ref", "cur": "macro_cur",
              "expect_alarm": ["realgdp", "realcons", "realinv", "realdpi", "cpi", "m1", "pop"], "expect_quiet": ["quarter"]})
halves(macro, "macro")

co2 = sm.datasets.co2.load_pandas().data.dropna().reset_index()
co2.columns = ["date", "co2"]
co2["year"] = co2["date"].dt.year
co2["week"] = co2["date"].dt.isocalendar().week.astype(int).map(lambda w: f"w{w:02d}")
co2 = co2.drop(columns=["date"])
co2[co2.year < 1980].to_csv(f"{out}/co2_ref.csv", index=False)
co2[co2.year >= 1980].to_csv(f"{out}/co2_cur.csv", index=False)
cases.append({"case": "Mauna Loa CO2: 1958–1979 vs 1980–2001", "ref": "co2_ref", "cur": "co2_cur", "expect_alarm": ["co2"], "expect_quiet": ["week"]})
halves(co2, "co2")
json.dump(cases, open(f"{out}/cases.json", "w"))
`;

const SCIPY = String.raw`
import json, sys
import numpy as np, pandas as pd
from scipy import stats
out, ref, cur = sys.argv[1:4]
a = pd.read_csv(f"{out}/{ref}.csv"); b = pd.read_csv(f"{out}/{cur}.csv")
res = {}
for c in a.columns:
    if c == "year": continue
    if a[c].dtype.kind in "if":
        r = stats.ks_2samp(a[c].dropna(), b[c].dropna(), method="auto")
        res[c] = {"test": "ks", "statistic": float(r.statistic), "p_value": float(r.pvalue)}
    else:
        cats = sorted(set(a[c].dropna()) | set(b[c].dropna()))
        table = np.array([[int((a[c] == k).sum()) for k in cats], [int((b[c] == k).sum()) for k in cats]])
        table = table[:, table.sum(axis=0) > 0]
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        res[c] = {"test": "chi2", "statistic": float(chi2), "p_value": float(p)}
print(json.dumps(res))
`;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}
const mloop = (...args) => run(process.execPath, [BIN, '--workspace', path.join(dir, 'ws'), ...args]);
const rel = (a, b) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE));

try {
  const probe = spawnSync(PY, ['-c', 'import statsmodels, scipy'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error('needs /usr/bin/python3 with statsmodels and scipy: apt-get install -y python3-statsmodels python3-scipy');
  fs.writeFileSync(path.join(dir, 'export.py'), EXPORT);
  fs.writeFileSync(path.join(dir, 'scipy_tests.py'), SCIPY);
  run(PY, [path.join(dir, 'export.py'), dir]);
  const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
  run(process.execPath, [BIN, 'init', path.join(dir, 'ws')]);
  const imported = new Set();
  const importCsv = (name) => {
    if (imported.has(name)) return;
    mloop('data', 'import', path.join(dir, `${name}.csv`), '--name', name.replace(/_/g, '-'), '--time', 'year', '--json');
    imported.add(name);
  };

  const rows = [];
  let failures = 0;
  let maxStat = 0;
  let maxP = 0;
  for (const c of cases) {
    importCsv(c.ref);
    importCsv(c.cur);
    const report = JSON.parse(mloop('monitor', 'drift', '--reference', `${c.ref.replace(/_/g, '-')}@1`, '--current', `${c.cur.replace(/_/g, '-')}@1`, '--json'));
    const scipy = JSON.parse(run(PY, [path.join(dir, 'scipy_tests.py'), dir, c.ref, c.cur]));
    const alarms = report.features.filter((f) => f.drift).map((f) => f.name);
    const quiet = c.expect_quiet === 'all' ? report.features.map((f) => f.name) : c.expect_quiet;
    const missed = c.expect_alarm.filter((n) => !alarms.includes(n));
    const wrong = quiet.filter((n) => alarms.includes(n));
    const ok = missed.length === 0 && wrong.length === 0;
    if (!ok) failures++;
    for (const f of report.features) {
      const s = scipy[f.name];
      if (s === undefined) continue;
      maxStat = Math.max(maxStat, rel(f.statistic, s.statistic));
      if (s.p_value > 1e-300) maxP = Math.max(maxP, rel(f.p_value, s.p_value));
    }
    rows.push(
      `| ${c.case} | ${report.reference_rows} / ${report.current_rows} | ${alarms.length === 0 ? '–' : alarms.join(', ')} | ${c.expect_alarm.join(', ') || '–'} | ${c.expect_quiet === 'all' ? 'all' : c.expect_quiet.join(', ') || '–'} | ${ok ? 'yes' : `NO (missed ${missed.join(', ') || '–'}; false ${wrong.join(', ') || '–'})`} |`,
    );
  }
  const m = machine();
  console.log(
    [
      `### real-drift (${m.date.slice(0, 10)}, commit ${m.commit})`,
      '',
      `Machine: ${m.cpus}, ${m.memory_gib} GiB, Node ${m.node}. Default alarms (false-alarm rate 0.01 per feature, calibrated by bootstrap on the reference; Benjamini–Hochberg 0.05).`,
      '',
      '| comparison | rows ref / cur | alarms raised | must alarm | must stay quiet | as expected |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      `Against scipy (ks_2samp method=auto, chi2_contingency without correction) on every compared column: max relative difference ${maxStat.toExponential(1)} in the statistic, ${maxP.toExponential(1)} in the p-value.`,
      `${failures === 0 ? 'Every comparison as expected.' : `${failures} comparison(s) NOT as expected.`}`,
    ].join('\n'),
  );
  if (failures > 0) process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
