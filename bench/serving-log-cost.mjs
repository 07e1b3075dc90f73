// The prediction log's CPU cost per prediction, without HTTP: `node bench/serving-log-cost.mjs`
// trains the demo text model (as bench/serving-http.bench.mjs does) in a temporary workspace,
// predicts one row at a time through two serving runtimes, one logging and one not, with 16
// concurrent callers (so the micro-batcher batches as under the HTTP benchmark's connections), in
// interleaved rounds, and prints the process's CPU time per prediction (serving thread + the log's
// writer thread) and the serving thread's alone (from /proc/self/task, Linux).
// MLOOP_DIST=<dir> measures another build than ../dist; MLOOP_DIST_BEFORE=<dir> adds a second build
// (its own workspace, same data and seed) to the same rounds. N (default 4000) predictions per
// round, ROUNDS (default 6).
// `--records`: the serving thread's side of the log alone, without a model: records made as each
// build's runtime makes them for the benchmark's classifier row (17 classes; a request id; the body
// parsed per request) are appended to the build's PredictionLogWriter, which writes through its
// worker log store to a temporary workspace; the serving thread's CPU per record, less a round that
// does the same requests without logging, in alternated rounds (N default 30000, ROUNDS 8).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearInterval, setImmediate, setInterval } from 'node:timers';
import { pathToFileURL } from 'node:url';

const dist = (d) => (d ? pathToFileURL(`${d}/`).href : new URL('../dist/', import.meta.url).href);
const builds = [{ name: 'after', url: dist(process.env.MLOOP_DIST) }];
if (process.env.MLOOP_DIST_BEFORE) builds.unshift({ name: 'before', url: dist(process.env.MLOOP_DIST_BEFORE) });
const N = Number(process.env.N ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const parent = mkdtempSync(join(tmpdir(), 'mloop-bench-log-cost-'));

if (process.argv.includes('--records')) {
  await recordsOnly();
  process.exit(0);
}

/** CPU µs of the calling thread (Linux). */
function selfThreadCpu() {
  const f = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e4;
}

async function recordsOnly() {
  // The worker is unref'd (as in the server); this keeps the process alive while writes are pending.
  const keep = setInterval(() => undefined, 1000);
  const probabilities = Object.fromEntries(
    [
      'account_closure',
      'billing_question',
      'cancel_order',
      'change_address',
      'damaged_item',
      'delivery_status',
      'device_setup',
      'invoice_copy',
      'login_problem',
      'password_reset',
      'payment_failed',
      'privacy_request',
      'product_question',
      'refund_request',
      'subscription_upgrade',
      'update_payment_method',
      'warranty_claim',
    ].map((c, i) => [c, i === 13 ? 0.9885972738265991 : 0.0002691326953936368 * (i + 1)]),
  );
  const body = JSON.stringify({ instances: [{ text: 'Hi, Please refund the $284.50 I paid for order #A82620. Cheers, Maria' }] });
  const n = Number(process.env.N ?? 30000);
  const rounds = Number(process.env.ROUNDS ?? 8);
  const runs = [];
  for (const b of builds) {
    const codec = await import(`${b.url}serving/log-codec.js`);
    const { outputsJson } = await import(`${b.url}serving/answer-json.js`);
    const { PredictionLogWriter } = await import(`${b.url}serving/prediction-log.js`);
    const { openPredictionLogStore } = await import(`${b.url}serving/log-store.js`);
    const { newPredictionId } = await import(`${b.url}serving/prediction-id.js`);
    const { initWorkspace } = await import(`${b.url}workspace/index.js`);
    const dir = join(parent, `ws-${b.name}`);
    await initWorkspace(dir, { env: {} });
    const store = await openPredictionLogStore({ url: `sqlite:${join(dir, '.mloop', 'mloop.db')}`, connectTimeoutMs: 5000 });
    const writer = new PredictionLogWriter((r) => store.insertPredictions(r), { maxQueue: 1e6 });
    // As the runtime's records(): a ClassifierRecord where the build has it (since 0015 with the
    // probabilities object and the class list, before with their text), else the outputs' text
    // joined on the serving thread.
    const classes = Object.keys(probabilities);
    const numeric = codec.ClassifierRecord?.length === 18;
    const record = (inputs, pj, at) =>
      codec.ClassifierRecord
        ? new codec.ClassifierRecord(
            newPredictionId(),
            at,
            'support',
            'support',
            1,
            'primary',
            null,
            randomUUID(),
            inputs,
            ...(numeric ? [probabilities, classes] : [pj]),
            undefined,
            'refund_request',
            0.98,
            'auto',
            0.5,
            false,
            {},
          )
        : new codec.RecordWithOutputsText(
            newPredictionId(),
            at,
            'support',
            'support',
            1,
            'primary',
            null,
            randomUUID(),
            inputs,
            outputsJson({ label: 'refund_request' }, pj),
            'refund_request',
            0.98,
            'auto',
            0.5,
            false,
            {},
          );
    runs.push({ name: b.name, store, writer, record, newPredictionId, costs: [] });
  }
  async function round(r, log) {
    const t0 = selfThreadCpu();
    for (let i = 0; i < n; i += 16) {
      for (let j = 0; j < 16; j++) {
        // What a request does anyway: its body parsed, the probabilities' text (the answer's), an id.
        const inputs = JSON.parse(body).instances[0];
        const pj = JSON.stringify(probabilities);
        if (log) r.writer.append([r.record(inputs, pj, new Date().toISOString())]);
        else if (r.newPredictionId() + randomUUID() + pj === '') throw new Error('unreachable');
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await r.writer.flush();
    return (selfThreadCpu() - t0) / n;
  }
  for (const r of runs) await round(r, true); // warm-up
  for (let k = 0; k < rounds; k++) {
    for (const r of k % 2 ? [...runs].reverse() : runs) {
      const on = await round(r, true);
      const off = await round(r, false);
      r.costs.push(on - off);
    }
  }
  const median = (xs) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  console.log(
    `${rounds} alternated rounds of ${n} records per build; the serving thread's CPU per logged record (µs), less the same requests without the log\n`,
  );
  console.log('| build | median | rounds |\n|---|---|---|');
  for (const r of runs)
    console.log(`| ${r.name} | ${median(r.costs).toFixed(1)} | ${r.costs.map((c) => c.toFixed(1)).join(', ')} |`);
  for (const r of runs) {
    await r.writer.close();
    await r.store.close();
  }
  clearInterval(keep);
  rmSync(parent, { recursive: true, force: true });
}

const subjects = [];
let text;
for (const b of builds) {
  const { initWorkspace, openWorkspace } = await import(`${b.url}workspace/index.js`);
  const { buildServer } = await import(`${b.url}server/index.js`);
  const { generateSupportRequests, supportRequestsToCsv } = await import(`${b.url}demo/index.js`);
  const { trainModel } = await import(`${b.url}training/index.js`);
  const dir = join(parent, `ws-${b.name}`);
  await initWorkspace(dir, { env: {} });
  const setup = await openWorkspace({ workspace: dir, env: {} });
  const rows = generateSupportRequests({ count: 6000, seed: 42 });
  const csv = join(parent, `support-${b.name}.csv`);
  writeFileSync(csv, supportRequestsToCsv(rows));
  await setup.datasets.importFile({ file: csv, name: 'support', actor: 'bench', roles: { text: ['text'], label: ['intent'] } });
  const t = await trainModel({ datasets: setup.datasets, registry: setup.registry }, { dataset: 'support@1', name: 'support', targetPrecision: 0.95, actor: 'bench', seed: 42 });
  await setup.registry.setAlias('bench', 'support', 'champion', t.version.version, 'bench');
  await setup.serving.deploy('bench', 'support@champion');
  await setup.close();
  text = rows[17].text;
  for (const log of [true, false]) {
    const ws = await openWorkspace({ workspace: dir, env: {} });
    // `ready`, not `listen`: the dashboard's start-up work (on listen) stays out of the measurement.
    const app = await buildServer(ws, { serving: { logPredictions: log } });
    await app.ready();
    subjects.push({ build: b.name, log, ws, app, runtime: ws.serving.runtime(), total: [], thread: [] });
  }
}

/** CPU seconds of this process's main (serving) thread. */
function threadCpu() {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
async function round(s) {
  const t0 = threadCpu();
  const c0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < N) await s.runtime.predict('support', [{ text }]);
    }),
  );
  await s.runtime.log.flush();
  const c = process.cpuUsage(c0);
  s.total.push((c.user + c.system) / N);
  s.thread.push(((threadCpu() - t0) * 1e6) / N);
}
for (const s of subjects) await round(s); // warm-up
for (const s of subjects) s.total.length = s.thread.length = 0;
const load0 = loadavg()[0];
for (let r = 0; r < ROUNDS; r++) for (const s of r % 2 ? [...subjects].reverse() : subjects) await round(s);
const load1 = loadavg()[0];
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
const f1 = (x) => x.toFixed(1);
console.log(`${ROUNDS} interleaved rounds of ${N} predictions per build and mode, 16 concurrent callers; load average ${load0.toFixed(1)} → ${load1.toFixed(1)}; medians (µs per prediction)\n`);
console.log('| build | log on | log off | the log costs | of it on the serving thread |');
console.log('|---|---|---|---|---|');
for (const b of builds) {
  const on = subjects.find((s) => s.build === b.name && s.log);
  const off = subjects.find((s) => s.build === b.name && !s.log);
  const cost = median(on.total) - median(off.total);
  const threadCost = median(on.thread) - median(off.thread);
  console.log(`| ${b.name} | ${f1(median(on.total))} | ${f1(median(off.total))} | ${f1(cost)} (${((cost / median(off.total)) * 100).toFixed(0)} %) | ${f1(threadCost)} |`);
}
for (const s of subjects) {
  await s.app.close();
  await s.ws.close();
}
rmSync(parent, { recursive: true, force: true });
