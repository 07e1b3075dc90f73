// The crowd datasets through the CLI as a user runs it: a project per dataset, answers imported,
// then consensus (Dawid–Skene and majority vote) and agreement, checked against the gold truth
// and the figures in ../shared/datasets/crowd/README.md. Each command is timed whole.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib.mjs';

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
const ROOT = process.env.CROWD_ROOT ?? fileURLToPath(new URL('../../shared/datasets/crowd/', import.meta.url));
const README_DS = { product: 0.9396, dog: 0.8426, rte: 0.9275 };

function csv(path) {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

const dir = mkdtempSync(join(tmpdir(), 'mloop-crowd-cli-'));
const ws = join(dir, 'ws');
const run = (...args) => {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [BIN, '--workspace', ws, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { out, seconds: (performance.now() - t0) / 1000 };
};
execFileSync(process.execPath, [BIN, 'init', ws], { stdio: 'ignore' });

const rows = [];
for (const name of ['product', 'dog', 'rte']) {
  const answers = csv(join(ROOT, name, 'answers.csv'));
  const truth = new Map(csv(join(ROOT, name, 'truth.csv')).map((r) => [r.item, r.label]));
  const items = [...new Set(answers.map((a) => a.item))].sort();
  const labels = [...new Set(answers.map((a) => a.label))].sort((a, b) => Number(a) - Number(b));
  const counts = new Map();
  for (const a of answers) counts.set(a.item, (counts.get(a.item) ?? 0) + 1);
  const overlap = Math.max(...counts.values());
  const itemsFile = join(dir, `${name}-items.csv`);
  writeFileSync(itemsFile, `item\n${items.join('\n')}\n`);
  run('data', 'import', itemsFile, '--name', `${name}-items`, '--id', 'item');
  run('label', 'create', name, '--dataset', `${name}-items@1`, '--id', 'item', '--labels', labels.join(','), '--overlap', String(overlap));
  const imported = run('label', 'import-answers', name, join(ROOT, name, 'answers.csv'), '--json');
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
  const agreement = JSON.parse(ag.out);
  rows.push({
    name,
    answers: answers.length,
    items: items.length,
    ds: accuracy(JSON.parse(ds.out)),
    readme: README_DS[name],
    mv: accuracy(JSON.parse(mv.out)),
    fleiss: agreement.fleiss_kappa,
    alpha: agreement.krippendorff_alpha,
    seconds: { import: imported.seconds, ds: ds.seconds, mv: mv.seconds, agreement: ag.seconds },
  });
}
rmSync(dir, { recursive: true, force: true });

const m = machine();
console.log(JSON.stringify({ machine: m, rows }, null, 2));
const f = (v, d = 4) => (typeof v === 'number' ? v.toFixed(d) : String(v));
console.log(`
### Crowd datasets through the CLI (${m.date.slice(0, 10)}, commit ${m.commit}, ${m.cpus}, ${m.memory_gib} GiB, Node ${m.node})
\`mloop label create\` → \`import-answers\` → \`consensus --method ds|mv\` → \`agreement\`, each a whole CLI process (start-up included).

| dataset | answers | items | DS accuracy (README) | MV accuracy | Fleiss κ | Krippendorff α | import s | DS s | agreement s |
|---|---|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.name} | ${r.answers} | ${r.items} | ${f(r.ds)} (${r.readme}) | ${f(r.mv)} | ${f(r.fleiss, 6)} | ${f(r.alpha, 6)} | ${f(r.seconds.import, 2)} | ${f(r.seconds.ds, 2)} | ${f(r.seconds.agreement, 2)} |`).join('\n')}
`);
