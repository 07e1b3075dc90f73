// The crowd datasets through the CLI as a user runs it: a project per dataset, answers imported,
// then consensus (Dawid–Skene and majority vote) and agreement, checked against the gold truth,
// the published figures, and an independent numpy reference run in the same process tree
// (../shared/peers/crowd_baseline.py). Each command is timed whole (wall and CPU of the process).
//
//   node bench/crowd-cli.bench.mjs                                  # the shared product, dog, rte
//   CROWD_EXTRA=/path/a,/path/b node bench/crowd-cli.bench.mjs      # plus other folders
//   CROWD_EXTRA=… CROWD_SKIP_SHARED=1 node bench/crowd-cli.bench.mjs
//
// A folder holds answers.csv (item,worker,label) and truth.csv (item,label); its name picks the
// published figure below, if there is one. Exits 1 when our figures differ from the reference.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib.mjs';

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
const ROOT = process.env.CROWD_ROOT ?? fileURLToPath(new URL('../../shared/datasets/crowd/', import.meta.url));
const PEER = process.env.CROWD_PEER ?? fileURLToPath(new URL('../../shared/peers/crowd_baseline.py', import.meta.url));
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

/**
 * Published accuracies against gold, by folder name. `ds` is Dawid–Skene; `setting` says how it was
 * initialised and iterated, and `run` which of the runs here shares that setting and is checked
 * against it: `ours` (mloop: soft majority-vote start, up to 50 iterations) or `python-07diag`
 * (the peer in Zheng et al.'s setting: uniform prior, 0.7 on the diagonal, 20 iterations).
 */
const ZHENG = 'uniform prior, confusion matrices 0.7 on the diagonal, 20 iterations';
const PUBLISHED = {
  product: {
    ds: 0.9366,
    mv: null,
    run: 'python-07diag',
    setting: ZHENG,
    source: 'Zheng et al., PVLDB 2017, result files (../shared/datasets/crowd/README.md)',
  },
  dog: {
    ds: 0.8426,
    mv: null,
    run: 'python-07diag',
    setting: ZHENG,
    source: 'Zheng et al., PVLDB 2017, result files (../shared/datasets/crowd/README.md)',
  },
  rte: {
    ds: 0.9275,
    mv: null,
    run: 'python-07diag',
    setting: ZHENG,
    source: 'Zheng et al., PVLDB 2017, result files (../shared/datasets/crowd/README.md)',
  },
  bluebirds: {
    ds: 1 - 0.1019,
    mv: 1 - 0.2407,
    run: 'ours',
    setting: 'Dawid–Skene EM as run by the authors (the table states no initialisation)',
    source:
      'Zhou, Platt, Basu, Mao, NIPS 2012, "Learning from the wisdom of crowds by minimax entropy", table of error rates on real data: bluebirds Dawid–Skene 10.19 %, majority vote 24.07 % (cited from the paper; its text is not reachable from this machine)',
  },
};

function csv(path) {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

/** CPU seconds (user + system) of waited-for children of this process, from /proc/self/stat. */
function childCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100; // cutime + cstime, in clock ticks (CLK_TCK = 100)
}

const folders = [
  ...(process.env.CROWD_SKIP_SHARED === '1' ? [] : ['product', 'dog', 'rte'].map((n) => join(ROOT, n))),
  ...(process.env.CROWD_EXTRA ?? '')
    .split(',')
    .filter(Boolean)
    .map((p) => resolve(p)),
];
for (const f of folders) {
  for (const file of ['answers.csv', 'truth.csv'])
    if (!existsSync(join(f, file))) throw new Error(`${f}: no ${file} (a crowd folder holds answers.csv and truth.csv)`);
}
const names = folders.map((f) => basename(f));
if (new Set(names).size !== names.length) throw new Error(`two folders share a name: ${names.join(', ')}`);

const dir = mkdtempSync(join(tmpdir(), 'mloop-crowd-cli-'));
const ws = join(dir, 'ws');
const run = (...args) => {
  const c0 = childCpuSeconds();
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [BIN, '--workspace', ws, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { out, seconds: (performance.now() - t0) / 1000, cpu: childCpuSeconds() - c0 };
};
execFileSync(process.execPath, [BIN, 'init', ws], { stdio: 'ignore' });

// The independent reference: the numpy peer over the same folders (linked under one root).
const peerRoot = join(dir, 'peer-root');
mkdirSync(peerRoot);
folders.forEach((f, i) => symlinkSync(f, join(peerRoot, names[i])));
const peerJson = join(dir, 'peer.json');
const p0 = performance.now();
execFileSync(PYTHON, [PEER, peerRoot, '--json', peerJson], { stdio: 'ignore' });
const peerSeconds = (performance.now() - p0) / 1000;
const peer = new Map(JSON.parse(readFileSync(peerJson, 'utf8')).map((r) => [r.dataset, r]));

// The peer reports no Fleiss κ when items have unequal answer counts; mloop then computes it over
// the items with the most common count. This numpy snippet does the same, independently.
const FLEISS_MODAL = `
import csv, sys, collections, numpy as np
rows = list(csv.DictReader(open(sys.argv[1])))
labels = sorted({r['label'] for r in rows})
idx = {l: k for k, l in enumerate(labels)}
c = collections.defaultdict(lambda: np.zeros(len(labels)))
for r in rows: c[r['item']][idx[r['label']]] += 1
m = np.array(list(c.values())); n_i = m.sum(1)
vals, freq = np.unique(n_i, return_counts=True); n = vals[freq == freq.max()].max()
m = m[n_i == n]; N = len(m)
p = m.sum(0) / (N * n); P = ((m * m).sum(1) - n) / (n * (n - 1))
print((P.mean() - (p ** 2).sum()) / (1 - (p ** 2).sum()))
`;
const fleissModal = (folder) =>
  Number(execFileSync(PYTHON, ['-c', FLEISS_MODAL, join(folder, 'answers.csv')], { encoding: 'utf8' }).trim());

const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
const rows = [];
const checks = [];
const check = (name, ours, ref, tol) => {
  const ok = ref === null || ref === undefined ? null : Math.abs(ours - ref) <= tol;
  checks.push({ name, ours, ref, tol, ok });
};
folders.forEach((folder, k) => {
  const name = names[k];
  const answers = csv(join(folder, 'answers.csv'));
  const truth = new Map(csv(join(folder, 'truth.csv')).map((r) => [r.item, r.label]));
  const items = [...new Set(answers.map((a) => a.item))].sort();
  const workers = new Set(answers.map((a) => a.worker));
  const labels = [...new Set([...answers.map((a) => a.label), ...truth.values()])].sort((a, b) =>
    [a, b].every((x) => /^-?\d+$/.test(x)) ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0,
  );
  const counts = new Map();
  for (const a of answers) counts.set(a.item, (counts.get(a.item) ?? 0) + 1);
  const overlap = Math.max(...counts.values());
  const itemsFile = join(dir, `${name}-items.csv`);
  writeFileSync(itemsFile, `item\n${items.join('\n')}\n`);
  run('data', 'import', itemsFile, '--name', `${name}-items`, '--id', 'item');
  run(
    'label',
    'create',
    name,
    '--dataset',
    `${name}-items@1`,
    '--id',
    'item',
    '--labels',
    labels.join(','),
    '--overlap',
    String(overlap),
  );
  const imported = run('label', 'import-answers', name, join(folder, 'answers.csv'), '--json');
  const accuracy = (doc) => {
    let ok = 0;
    let n = 0;
    for (const it of doc.items) {
      if (!truth.has(String(it.item))) continue;
      n++;
      if (String(it.label) === truth.get(String(it.item))) ok++;
    }
    return ok / n;
  };
  const ds = run('label', 'consensus', name, '--method', 'ds', '--json');
  const mv = run('label', 'consensus', name, '--method', 'mv', '--json');
  const ag = run('label', 'agreement', name, '--json');
  const dsDoc = JSON.parse(ds.out);
  const agreement = JSON.parse(ag.out);
  const ref = peer.get(name);
  const pub = PUBLISHED[name] ?? null;
  const row = {
    name,
    folder,
    answers: answers.length,
    items: items.length,
    workers: workers.size,
    classes: labels.length,
    ds: accuracy(dsDoc),
    ds_details: dsDoc.details,
    mv: accuracy(JSON.parse(mv.out)),
    fleiss: agreement.fleiss_kappa,
    alpha: agreement.krippendorff_alpha,
    peer: ref && {
      ds_mv_init_50it: ref.ds_acc,
      ds_07diag_20it: ref.ds_sym07_20it_acc,
      mv: ref.mv_acc_smallest_label_tiebreak,
      fleiss: ref.fleiss_kappa,
      alpha: ref.krippendorff_alpha_nominal,
    },
    published: pub,
    seconds: { import: imported.seconds, ds: ds.seconds, mv: mv.seconds, agreement: ag.seconds },
    cpu_seconds: { import: imported.cpu, ds: ds.cpu, mv: mv.cpu, agreement: ag.cpu },
  };
  rows.push(row);
  check(`${name} DS acc vs python (soft-MV init, 50 it)`, row.ds, row.peer?.ds_mv_init_50it, 1e-12);
  check(`${name} MV acc vs python (ties → first label)`, row.mv, row.peer?.mv, 1e-12);
  if (row.peer && row.peer.fleiss == null) row.peer.fleiss_modal_count = fleissModal(folder);
  check(
    `${name} Fleiss κ vs python${row.peer?.fleiss == null ? ' (items with the most common answer count)' : ''}`,
    row.fleiss ?? NaN,
    row.peer?.fleiss ?? row.peer?.fleiss_modal_count,
    1e-4,
  );
  check(`${name} Krippendorff α vs python`, row.alpha, row.peer?.alpha, 1e-4);
  if (pub?.ds != null)
    check(
      `${name} DS acc (${pub.run === 'ours' ? 'ours' : 'python, 0.7-diag 20 it'}) vs published`,
      pub.run === 'ours' ? row.ds : (row.peer?.ds_07diag_20it ?? NaN),
      pub.ds,
      5e-5,
    );
  if (pub?.mv != null) check(`${name} MV acc vs published`, row.mv, pub.mv, 5e-5);
});
rmSync(dir, { recursive: true, force: true });

const m = machine();
const f = (v, d = 4) => (typeof v === 'number' ? v.toFixed(d) : v === null || v === undefined ? '—' : String(v));
const lines = [
  `### Crowd datasets through the CLI (${m.date.slice(0, 10)}, commit ${m.commit}, ${m.cpus}, ${m.memory_gib} GiB, Node ${m.node}, load average ${loadavg} at start)`,
  '`mloop label create` → `import-answers` → `consensus --method ds|mv` → `agreement`, each a whole CLI process (start-up included); reference: `crowd_baseline.py` on the same folders in the same run ' +
    `(${f(peerSeconds, 2)} s wall for all).`,
  '',
  '| dataset | items | workers | answers | classes | DS acc (ours) | DS python, soft-MV 50 it | DS python, 0.7-diag 20 it | DS published | MV acc (ours) | MV python | MV published | Fleiss κ | Krippendorff α |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.items} | ${r.workers} | ${r.answers} | ${r.classes} | ${f(r.ds)} | ${f(r.peer?.ds_mv_init_50it)} | ${f(r.peer?.ds_07diag_20it)} | ${f(r.published?.ds)} | ${f(r.mv)} | ${f(r.peer?.mv)} | ${f(r.published?.mv)} | ${f(r.fleiss, 6)} | ${f(r.alpha, 6)} |`,
  ),
  '',
  '| dataset | import s (CPU s) | DS s (CPU s) | MV s (CPU s) | agreement s (CPU s) | DS iterations |',
  '|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${f(r.seconds.import, 2)} (${f(r.cpu_seconds.import, 2)}) | ${f(r.seconds.ds, 2)} (${f(r.cpu_seconds.ds, 2)}) | ${f(r.seconds.mv, 2)} (${f(r.cpu_seconds.mv, 2)}) | ${f(r.seconds.agreement, 2)} (${f(r.cpu_seconds.agreement, 2)}) | ${r.ds_details?.iterations ?? '—'}${r.ds_details?.converged ? ' (converged)' : ''} |`,
  ),
  '',
  '| check | ours | reference | tolerance | result |',
  '|---|---|---|---|---|',
  ...checks.map(
    (c) =>
      `| ${c.name} | ${f(c.ours, 8)} | ${f(c.ref, 8)} | ${c.tol} | ${c.ok === null ? 'no reference' : c.ok ? 'pass' : 'FAIL'} |`,
  ),
  '',
  ...rows
    .filter((r) => r.published)
    .map((r) => `- ${r.name}: published figure from ${r.published.source}; setting: ${r.published.setting}.`),
];
console.log(JSON.stringify({ machine: m, loadavg, peer_seconds: peerSeconds, rows, checks }, null, 2));
console.log(`\n${lines.join('\n')}\n`);
const outDir = fileURLToPath(new URL('./.out/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'crowd-cli.md'), `${lines.join('\n')}\n`);
if (checks.some((c) => c.ok === false)) process.exitCode = 1;
