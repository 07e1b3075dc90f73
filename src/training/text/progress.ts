/** Progress reporting and cancellation shared by the stages of text training. */
import { MloopError } from '../../errors/index.js';

/** A stage of text training, in the order they run. */
export type TextTrainStage = 'vectorize' | 'train' | 'calibrate';

/** One progress report: `done` of `total` units of `stage` (documents for `vectorize`, epochs for `train`). */
export interface TextTrainProgress {
  stage: TextTrainStage;
  done: number;
  total: number;
}

/** Optional observers of a training run. */
export interface TrainHooks {
  /** Called at least once per stage and at most a few hundred times per run; must not throw. */
  onProgress?: (progress: TextTrainProgress) => void;
  /** Aborting it stops training at the next check (within about one tenth of an epoch). */
  signal?: AbortSignal;
}

/** The error thrown when a run is cancelled through its `AbortSignal`: CANCELLED. */
export function cancelledError(): MloopError {
  return new MloopError('CANCELLED', 'training cancelled', { details: { reason: 'cancelled', cancelled: true } });
}

/** Throws {@link cancelledError} when `signal` is aborted. */
export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw cancelledError();
}
