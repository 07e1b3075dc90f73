/** Worker thread building histograms of a share of the features for the tree grower. */
import { parentPort, workerData } from 'node:worker_threads';
import { buildHistAllRows, buildHistRange, CTRL, type WorkerInit } from './hist-kernel.js';

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.ctrl);
const bins = new Uint8Array(init.bins);
const feats = new Int32Array(init.feats);
const idx = new Uint32Array(init.idx);
const g = new Float64Array(init.g);
const h = new Float64Array(init.h);
const hist = new Float64Array(init.hist);
const og = new Float64Array(init.og);
const oh = new Float64Array(init.oh);
parentPort?.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, CTRL.SEQ, seen);
  seen = Atomics.load(ctrl, CTRL.SEQ);
  if (Atomics.load(ctrl, CTRL.QUIT) === 1) break;
  const slot = ctrl[CTRL.SLOT]!;
  const slotHist = hist.subarray(slot * init.slotSize, (slot + 1) * init.slotSize);
  const fStart = ctrl[CTRL.FSTART]!;
  const fEnd = ctrl[CTRL.FEND]!;
  const begin = ctrl[CTRL.BEGIN]!;
  const end = ctrl[CTRL.END]!;
  if (ctrl[CTRL.ALL] === 1) buildHistAllRows(slotHist, bins, init.nRows, init.offsets, feats, fStart, fEnd, begin, end, g, h, init.counts);
  else buildHistRange(slotHist, bins, init.nRows, init.offsets, feats, fStart, fEnd, idx, begin, end, og, oh);
  Atomics.store(ctrl, CTRL.DONE, seen);
  Atomics.notify(ctrl, CTRL.DONE);
}
