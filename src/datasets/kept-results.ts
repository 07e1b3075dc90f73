/**
 * Results computed from an immutable dataset version (its profile, its validation), kept by what
 * they depend on: in this process (the most recently read, and any computation under way, so that
 * concurrent readers share one) and in the workspace store (so every CLI process and server reuses
 * them). A failed computation is not kept; a result the store cannot keep is still returned.
 */
import { MLOOP_VERSION } from '../config/index.js';
import type { DatasetVersion } from './dataset.js';
import type { DatasetResultKind, DatasetStore } from './dataset-store.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';

/** How many results a process keeps in memory (least recently read out first); the store keeps them all. */
export const KEPT_IN_MEMORY = 64;

/** Options every kept read accepts. */
export interface KeptReadOptions {
  /** Compute again even when a result is kept, and keep the new result instead. */
  recompute?: boolean | undefined;
}

export class KeptResults {
  readonly #memory = new Map<string, Promise<string>>();

  constructor(
    private readonly store: DatasetStore,
    private readonly clock: () => Date,
    private readonly max = KEPT_IN_MEMORY,
  ) {}

  /**
   * The result of `kind` for version `v` computed from `inputs` (everything it depends on besides
   * the version's content: options, rules, the version compared against). The mloop version is part
   * of the key, so a release that computes differently does not serve an older release's results.
   * Each call returns a fresh copy (parsed JSON), so callers may change what they get.
   */
  async get<T>(v: DatasetVersion, kind: DatasetResultKind, inputs: Record<string, unknown>, compute: () => Promise<T>, options: KeptReadOptions = {}): Promise<T> {
    const inputsJson = canonicalJson({ ...inputs, mloop: MLOOP_VERSION });
    const inputsHash = sha256Hex(inputsJson);
    const key = `${v.id} ${kind} ${inputsHash}`;
    let text = options.recompute === true ? undefined : this.#memory.get(key);
    if (text) {
      this.#memory.delete(key);
      this.#memory.set(key, text);
    } else {
      const made = (async () => {
        const stored = options.recompute === true ? undefined : await this.store.getResult(v.id, kind, inputsHash);
        if (stored !== undefined) return stored;
        const resultJson = JSON.stringify(await compute());
        try {
          await this.store.keepResult({ versionId: v.id, kind, inputsHash, inputsJson, resultJson, createdAt: this.clock().toISOString() });
        } catch {
          // Keeping is a saving, not part of the answer: a store that cannot write now (busy, read-only) costs a later recomputation.
        }
        return resultJson;
      })();
      text = made;
      this.#memory.set(key, made);
      made.catch(() => {
        if (this.#memory.get(key) === made) this.#memory.delete(key);
      });
      for (const oldest of this.#memory.keys()) {
        if (this.#memory.size <= this.max) break;
        this.#memory.delete(oldest);
      }
    }
    return JSON.parse(await text) as T;
  }
}
