/**
 * The prediction log writer: a bounded in-memory queue drained in batches by one background
 * writer. `append` never waits and never throws; when the queue is full (the store is slow or
 * down) records are shed, counted and reported in a rate-limited log line. Records are encoded
 * into a segment (log-codec.ts) as they are appended, so the queue holds bytes, not objects.
 */
import { countByVersion, LogSegmentBuilder, segmentHasId, type LogSegment, type VersionCounts } from './log-codec.js';
import type { PredictionRecord } from './serving.js';

/** Limits of the writer. */
export interface PredictionLogOptions {
  /** Most records held in memory; beyond it new records are dropped. Default 20000. */
  maxQueue?: number;
  /**
   * Most records per store write. Default 2000: at 20k predictions a second, writes of 500 records
   * every 25 ms cost the writer thread ~0.8 µs more per record than writes of 2000 (more commits,
   * segments sealed and posted); bench/RESULTS.md, session 9.
   */
  batchSize?: number;
  /** How long records may wait for a batch to fill. Default 100 ms. */
  flushIntervalMs?: number;
  /** A store write slower than this counts as failed (its records are dropped). Default 5000 ms. */
  writeTimeoutMs?: number;
  /** Pause after a failed write before the next one. Default 1000 ms. */
  retryAfterMs?: number;
  /** Writes of one batch before its records are dropped (a busy or briefly locked store gets retries). Default 3. */
  maxAttempts?: number;
  /** Minimum time between two "dropping" log lines. Default 10000 ms. */
  warnEveryMs?: number;
}

/** Receives the writer's events (the server logs them with pino and counts them in metrics). */
export interface PredictionLogEvents {
  /** Records dropped, per model and version. */
  onDrop?(counts: Readonly<VersionCounts>, reason: 'queue-full' | 'write-failed'): void;
  /** Records written, per model and version, and how long the write took. */
  onWritten?(counts: Readonly<VersionCounts>, ms: number): void;
  /** A rate-limited warning line: what was dropped since the last line, and why. */
  warn?(message: string, details: Record<string, unknown>): void;
}

/** What a writer reports about itself. */
export interface PredictionLogStats {
  queued: number;
  written: number;
  dropped: number;
  failedWrites: number;
  lastError: string | null;
}

/** Writes one segment (all its records, or fails). */
type Write = (segment: LogSegment) => Promise<void>;

export class PredictionLogWriter {
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly writeTimeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly warnEveryMs: number;
  private readonly maxAttempts: number;
  private readonly attempts = new WeakMap<LogSegment, number>();
  /** Sealed segments waiting, oldest first. */
  private queue: LogSegment[] = [];
  /** Records in `queue` (the open segment's are in `open.n`). */
  private sealed = 0;
  private readonly open = new LogSegmentBuilder();
  /** The segment being written (it left the queue but is not in the store yet). */
  private inFlight: LogSegment | null = null;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pausedUntil = 0;
  private closed = false;
  private lastWarn = 0;
  private droppedSinceWarn = 0;
  private readonly stats: PredictionLogStats = { queued: 0, written: 0, dropped: 0, failedWrites: 0, lastError: null };

  constructor(
    private readonly write: Write,
    options: PredictionLogOptions = {},
    private readonly events: PredictionLogEvents = {},
  ) {
    this.maxQueue = options.maxQueue ?? 20000;
    this.batchSize = Math.max(1, options.batchSize ?? 2000);
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 5000;
    this.retryAfterMs = options.retryAfterMs ?? 1000;
    this.warnEveryMs = options.warnEveryMs ?? 10000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  }

  /** Queues records for writing (encoded at once: nothing of them is kept). Never blocks, never throws; returns how many were accepted. */
  append(records: readonly PredictionRecord[]): number {
    if (this.closed) {
      this.drop(countByVersion(records), records.length, 'queue-full');
      return 0;
    }
    const accepted = Math.min(records.length, Math.max(0, this.maxQueue - this.depth));
    for (let i = 0; i < accepted; i++) {
      this.open.add(records[i]!);
      if (this.open.n >= this.batchSize) this.seal();
    }
    if (accepted < records.length) {
      const rest = records.slice(accepted);
      this.drop(countByVersion(rest), rest.length, 'queue-full');
    }
    this.schedule();
    return accepted;
  }

  /** True while `id` waits in the queue or is being written (written soon, or dropped). A scan: feedback is rare, appends are not. */
  isQueued(id: string): boolean {
    return (this.inFlight !== null && segmentHasId(this.inFlight, id)) || this.queue.some((s) => segmentHasId(s, id)) || this.open.hasId(id);
  }

  /** Records waiting to be written. */
  get depth(): number {
    return this.sealed + this.open.n;
  }

  snapshot(): PredictionLogStats {
    return { ...this.stats, queued: this.depth };
  }

  /** Writes what is queued (in batches) and resolves when done or when `timeoutMs` passed. */
  async flush(timeoutMs = this.writeTimeoutMs * 2): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.pausedUntil = 0;
    while ((this.depth > 0 || this.writing) && Date.now() < deadline) {
      if (!this.writing) this.startWrite();
      await Promise.race([this.writing, new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
    }
  }

  /** Flushes what it can within `timeoutMs`, then drops the rest and stops. */
  async close(timeoutMs = this.writeTimeoutMs): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush(timeoutMs);
    this.closed = true;
    if (this.open.n > 0) this.seal();
    for (const s of this.queue.splice(0)) {
      this.sealed -= s.n;
      this.drop(s.versions, s.n, 'write-failed');
    }
    this.warnNow();
  }

  private seal(): void {
    const s = this.open.seal();
    this.queue.push(s);
    this.sealed += s.n;
  }

  private schedule(): void {
    if (this.writing || this.timer || this.closed) return;
    const wait = this.queue.length > 0 ? 0 : this.flushIntervalMs;
    const delay = Math.max(wait, this.pausedUntil - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.writing && this.depth > 0) this.startWrite();
    }, delay);
    this.timer.unref();
  }

  private startWrite(): void {
    if (this.queue.length === 0 && this.open.n > 0) this.seal();
    const batch = this.queue.shift();
    if (batch === undefined) return;
    this.sealed -= batch.n;
    this.inFlight = batch;
    const started = performance.now();
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new Error(`prediction log write took longer than ${this.writeTimeoutMs} ms`)), this.writeTimeoutMs);
    });
    this.writing = (async () => {
      try {
        // The write starts on the next tick so a synchronous driver never runs inside `append`.
        await new Promise((r) => setImmediate(r));
        await Promise.race([this.write(batch), timedOut]);
        this.stats.written += batch.n;
        this.events.onWritten?.(batch.versions, performance.now() - started);
      } catch (err) {
        this.stats.failedWrites += 1;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        this.pausedUntil = Date.now() + this.retryAfterMs;
        // Retried at the front while attempts and room remain (a briefly locked store); else shed.
        const tries = (this.attempts.get(batch) ?? 0) + 1;
        const room = this.closed ? 0 : this.maxQueue - this.depth;
        if (tries < this.maxAttempts && room >= batch.n) {
          this.attempts.set(batch, tries);
          this.queue.unshift(batch);
          this.sealed += batch.n;
        } else this.drop(batch.versions, batch.n, 'write-failed');
      } finally {
        clearTimeout(timeout);
        this.inFlight = null;
        this.writing = null;
        if (this.depth > 0) this.schedule();
      }
    })();
  }

  private drop(counts: Readonly<VersionCounts>, n: number, reason: 'queue-full' | 'write-failed'): void {
    if (n === 0) return;
    this.stats.dropped += n;
    this.droppedSinceWarn += n;
    this.events.onDrop?.(counts, reason);
    if (Date.now() - this.lastWarn >= this.warnEveryMs) this.warnNow(reason);
  }

  private warnNow(reason?: string): void {
    if (this.droppedSinceWarn === 0) return;
    this.events.warn?.(`prediction log: dropped ${this.droppedSinceWarn} records since the last report`, {
      dropped: this.droppedSinceWarn,
      dropped_total: this.stats.dropped,
      queued: this.depth,
      ...(reason ? { reason } : {}),
      last_error: this.stats.lastError,
    });
    this.lastWarn = Date.now();
    this.droppedSinceWarn = 0;
  }
}
