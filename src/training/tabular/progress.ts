/** Progress reports and cancellation shared by the tabular learners. */
import { MloopError, isMloopError } from '../../errors/index.js';

/** One progress report. */
export interface TrainingProgress {
  /** `preparing` (checks, binning, encoding), `training`, `calibrating` or `done`. */
  stage: 'preparing' | 'training' | 'calibrating' | 'done';
  /** Iterations done (boosting rounds or solver iterations). */
  iteration: number;
  /** Upper bound on iterations (training may stop earlier). */
  maxIterations: number;
  /** Mean training loss, when cheap to have. */
  trainLoss?: number;
  /** Mean validation loss, when a validation split is used. */
  validLoss?: number;
  /** Best iteration so far (0-based), with early stopping. */
  bestIteration?: number;
  /** Milliseconds since training started. */
  elapsedMs: number;
}

/** Optional hooks of every `train*` function. */
export interface TrainingHooks {
  /** Called after every iteration and at stage changes; must be quick. */
  onProgress?: (progress: TrainingProgress) => void;
  /** Aborting stops training at the next iteration with a cancellation error (see {@link isCancellation}). */
  signal?: AbortSignal;
}

/** The error thrown when training is cancelled: CANCELLED with `details.cancelled = true`. */
export function cancellationError(signal: AbortSignal): MloopError {
  return new MloopError('CANCELLED', 'training was cancelled', {
    details: { cancelled: true },
    cause: signal.reason,
  });
}

/** True when `err` is the cancellation error of a `train*` function. */
export function isCancellation(err: unknown): boolean {
  return isMloopError(err) && err.code === 'CANCELLED';
}

/**
 * Keeps a long synchronous loop cancellable: `tick()` throws once the signal is aborted and
 * yields to the event loop every `sliceMs` so abort events and timers can run.
 */
export class Ticker {
  private last = performance.now();
  readonly start = performance.now();

  constructor(
    private readonly hooks: TrainingHooks,
    private readonly sliceMs = 50,
  ) {}

  /** Throws the cancellation error when aborted. */
  check(): void {
    if (this.hooks.signal?.aborted) throw cancellationError(this.hooks.signal);
  }

  /** Checks, and yields to the event loop when the current slice is used up. */
  async tick(): Promise<void> {
    this.check();
    const now = performance.now();
    if (now - this.last >= this.sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.last = performance.now();
      this.check();
    }
  }

  /** Sends a report stamped with the elapsed time. */
  report(p: Omit<TrainingProgress, 'elapsedMs'>): void {
    this.hooks.onProgress?.({ ...p, elapsedMs: performance.now() - this.start });
  }
}
