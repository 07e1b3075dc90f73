/**
 * The domain classifier on a worker thread, so that a monitoring report computed by the server
 * (60–230 ms of SGD per text window) does not hold the requests the same process serves. The
 * worker's program is the kernel's source text (`domainScores` imports nothing), so it runs the
 * same from the compiled build and from TypeScript sources under the test runner.
 */
import { Worker } from 'node:worker_threads';
import { MloopError } from '../../errors/index.js';
import { domainJob, domainResult, domainScores, type DomainClassifierOptions, type DomainClassifierResult } from './domain-classifier.js';

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const domainScores = ${domainScores.toString()};
parentPort.on('message', (msg) => {
  let scores;
  try {
    scores = domainScores(msg.job);
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: String((err && err.stack) || err) });
    return;
  }
  parentPort.postMessage({ id: msg.id, scores }, [scores.buffer]);
});
`;

type Reply = { id: number; scores: Float64Array } | { id: number; error: string };

/** One worker shared by every report of the process, started on first use; it holds the process open only while it has work. */
let shared: { worker: Worker; pending: Map<number, { resolve: (s: Float64Array) => void; reject: (e: Error) => void }> } | null = null;
let nextId = 1;
const jobs = { posted: 0, done: 0 };

/** Jobs sent to the worker and answered so far in this process (for tests: did the loop turn while one was out?). */
export function domainWorkerJobs(): { readonly posted: number; readonly done: number } {
  return { ...jobs };
}

function worker(): NonNullable<typeof shared> {
  if (shared) return shared;
  const w = new Worker(SOURCE, { eval: true });
  const state = { worker: w, pending: new Map<number, { resolve: (s: Float64Array) => void; reject: (e: Error) => void }>() };
  const fail = (err: Error) => {
    if (shared === state) shared = null;
    for (const p of state.pending.values()) p.reject(err);
    state.pending.clear();
  };
  w.on('message', (msg: Reply) => {
    const p = state.pending.get(msg.id);
    if (!p) return;
    state.pending.delete(msg.id);
    jobs.done++;
    if (state.pending.size === 0) w.unref();
    if ('error' in msg) p.reject(new MloopError('INTERNAL', 'the domain classifier failed on its worker thread', { cause: new Error(msg.error) }));
    else p.resolve(msg.scores);
  });
  w.on('error', (err) => fail(new MloopError('INTERNAL', 'the domain classifier worker failed', { cause: err })));
  w.on('exit', (code) => fail(new MloopError('INTERNAL', `the domain classifier worker exited with code ${code}`)));
  w.unref();
  shared = state;
  return state;
}

/**
 * `domainClassifier` on the shared worker thread: the same result (the same draws, the same
 * additions in the same order), while the calling thread's event loop stays free.
 *
 * @example
 * const r = await domainClassifierOffThread(referenceDocs, window.sample, vocabularySize + 1);
 */
export function domainClassifierOffThread(reference: readonly Int32Array[], current: readonly Int32Array[], features: number, options: DomainClassifierOptions = {}): Promise<DomainClassifierResult> {
  const job = domainJob(reference, current, features, options);
  const nReference = job.nReference;
  const w = worker();
  const id = nextId++;
  return new Promise<Float64Array>((resolve, reject) => {
    w.pending.set(id, { resolve, reject });
    w.worker.ref();
    jobs.posted++;
    // The job's arrays were made for this call: moved, not copied.
    w.worker.postMessage({ id, job }, [job.ids.buffer, job.offsets.buffer, job.uniforms.buffer] as ArrayBuffer[]);
  }).then((scores) => domainResult(nReference, scores));
}
