#!/usr/bin/env node
// `mloop train` + `mloop eval` through the CLI on data that is NOT in ../shared, beside peers in the
// same run: scikit-learn's bundled tables (breast_cancer, wine, digits; offline in the Debian
// package) against HistGradientBoostingClassifier, and generated support requests (mloop's demo
// generator with a heavier typo rate, a seed no test uses) against TF-IDF + LinearSVC and fastText.
// Reports test accuracy, coverage and precision at a target precision (threshold chosen on the
// validation rows: mloop's seeded 20 % holdout; the peers fit on the same share and choose theirs
// on the other 20 %), and training time (mloop: the whole `mloop train` command with start-up, and
// its own train_seconds; peers: fit).
//
//   node bench/train-cli.bench.mjs [--target-precision 0.97] [--only digits,wine] [--gbdt-config file]
// --gbdt-config passes `--config file` to `mloop train` for the tables (e.g. {"refitOnAllRows": true}).
// Env MLOOP_DIST: compiled mloop (default ../dist). Peers run with OMP_NUM_THREADS=1 (see README).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from './lib.mjs';

const args = process.argv.slice(2);
const value = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const P = Number(value('--target-precision', '0.97'));
const only = value('--only', undefined)?.split(',');
const gbdtConfig = value('--gbdt-config', undefined);
const DIST = process.env.MLOOP_DIST ?? fileURLToPath(new URL('../dist', import.meta.url));
const BIN = join(DIST, 'cli', 'bin.js');
const PEERS = fileURLToPath(new URL('./train-cli-peers.py', import.meta.url));
const log = (...m) => process.stderr.write(m.join(' ') + '\n');

const dir = mkdtempSync(join(tmpdir(), 'mloop-train-cli-'));
const ws = join(dir, 'ws');
const mloop = (...a) => {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [BIN, '--workspace', ws, ...a], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { out, seconds: (performance.now() - t0) / 1000 };
};
const peer = (kind, name, text) => {
  const out = execFileSync('/usr/bin/python3', [PEERS, 'peer', kind, join(dir, `${name}-train.csv`), join(dir, `${name}-test.csv`), 'label', text ?? '-', String(P), '0'], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  return JSON.parse(out);
};

execFileSync(process.execPath, [BIN, 'init', ws], { stdio: 'ignore' });
execFileSync('/usr/bin/python3', [PEERS, 'export', dir]);
// Text: generated support requests, 16 intents; a third of the requests with typos.
const { generateSupportRequests, supportRequestsToCsv } = await import(pathToFileURL(join(DIST, 'demo', 'index.js')).href);
const requests = generateSupportRequests({ seed: 2027, count: 9000, launch: false, typoRate: 0.3 }).map((r) => ({ ...r, label: r.intent }));
const toCsv = (rows) => supportRequestsToCsv(rows).split('\n').map((l, i) => (i === 0 ? l.replace(/\bintent\b/, 'label') : l)).join('\n');
writeFileSync(join(dir, 'support-train.csv'), toCsv(requests.slice(0, 6000)));
writeFileSync(join(dir, 'support-test.csv'), toCsv(requests.slice(6000)));

const sets = [
  { name: 'breast_cancer', peers: ['hgb'] },
  { name: 'wine', peers: ['hgb'] },
  { name: 'digits', peers: ['hgb'] },
  { name: 'support', text: 'text', peers: ['svc', 'ft'] },
].filter((s) => only === undefined || only.includes(s.name));
const PEER_NAME = { hgb: 'sklearn HistGradientBoosting', svc: 'sklearn TF-IDF + LinearSVC', ft: 'fastText (tuned: epoch 25, lr 0.5, wordNgrams 2)' };

const rows = [];
const loadBefore = loadavg();
for (const s of sets) {
  const textFlags = s.text ? ['--text', s.text] : [];
  mloop('data', 'import', join(dir, `${s.name}-train.csv`), '--name', `${s.name}-train`, '--label', 'label', ...textFlags);
  mloop('data', 'import', join(dir, `${s.name}-test.csv`), '--name', `${s.name}-test`, '--label', 'label', ...textFlags);
  log(`[${s.name}] mloop train…`);
  const configFlags = !s.text && gbdtConfig !== undefined ? ['--config', gbdtConfig] : [];
  const tr = mloop('--json', 'train', `${s.name}-train@1`, '--name', s.name, '--target-precision', String(P), ...configFlags);
  const trained = JSON.parse(tr.out);
  const ev = JSON.parse(mloop('--json', 'eval', `${s.name}@1`, `${s.name}-test@1`).out);
  const auto = ev.automation;
  rows.push({
    dataset: s.name,
    model: `mloop ${trained.learner}`,
    rows: `${trained.rows.train}+${trained.rows.validation} / ${ev.n}`,
    accuracy: ev.metrics.accuracy,
    coverage: auto ? auto.coverage.value : null,
    precision: auto ? auto.precision.value : null,
    fit: `${tr.seconds.toFixed(2)} (train_seconds ${trained.train_seconds.toFixed(2)})`,
  });
  log(JSON.stringify(rows.at(-1)));
  for (const k of s.peers) {
    log(`[${s.name}] peer ${k}…`);
    const r = peer(k, s.name, s.text);
    rows.push({ dataset: s.name, model: PEER_NAME[k], rows: '80 % / test', accuracy: r.accuracy, coverage: r.coverage ?? null, precision: r.precision ?? null, fit: r.fit_seconds.toFixed(2) });
    log(JSON.stringify(rows.at(-1)));
  }
}
const f = (v) => (v === null || v === undefined ? '—' : v.toFixed(4));
const m = machine();
const md = [
  `### ${m.date}, ${m.cpus}, ${m.memory_gib} GiB, Node ${m.node}`,
  '',
  `Commit ${m.commit}${gbdtConfig === undefined ? '' : `; tables trained with --config ${gbdtConfig}`}; load average before ${loadBefore.map((x) => x.toFixed(1)).join(' / ')}, after ${loadavg().map((x) => x.toFixed(1)).join(' / ')}; target precision ${P}.`,
  '',
  '| dataset | model | rows (train+val / test) | accuracy | coverage at target | precision of automated | train s |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.dataset} | ${r.model} | ${r.rows} | ${f(r.accuracy)} | ${f(r.coverage)} | ${f(r.precision)} | ${r.fit} |`),
].join('\n');
console.log(md);
mkdirSync(fileURLToPath(new URL('./.out/', import.meta.url)), { recursive: true });
writeFileSync(fileURLToPath(new URL('./.out/train-cli.md', import.meta.url)), md + '\n');
rmSync(dir, { recursive: true, force: true });
