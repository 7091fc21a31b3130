/**
 * Keeps loaded bundles in memory, bounded by bytes, so that a tick does not read storage (four
 * objects and a sha256 check in the registry) every time. A bundle is immutable per
 * tenant/name/version/sha256, so a cached one can never be stale.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { RunnableBundle } from '../sandbox/types.js';

/** Options of {@link BundleMemo}. */
export interface BundleMemoOptions {
  /** Bytes of code and source map to keep (default 64 MiB). */
  maxBytes?: number;
}

/** A bounded cache of loaded bundles with de-duplicated concurrent loads. Failures are not cached. */
export class BundleMemo {
  readonly #cache: LRUCache<string, RunnableBundle>;
  readonly #loading = new Map<string, Promise<RunnableBundle>>();

  constructor(options: BundleMemoOptions = {}) {
    this.#cache = new LRUCache<string, RunnableBundle>({
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (b) => Math.max(1, b.code.length + (b.sourceMap?.length ?? 0)),
    });
  }

  /** The bundle under `key`, loading it with `load` on a miss. */
  get(key: string, load: () => Promise<RunnableBundle>): Promise<RunnableBundle> {
    const hit = this.#cache.get(key);
    if (hit) return Promise.resolve(hit);
    let pending = this.#loading.get(key);
    if (!pending) {
      pending = load().then(
        (bundle) => {
          this.#loading.delete(key);
          this.#cache.set(key, bundle);
          return bundle;
        },
        (e: unknown) => {
          this.#loading.delete(key);
          throw e;
        },
      );
      this.#loading.set(key, pending);
    }
    return pending;
  }

  /** Bundles held and their bytes. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.#cache.size, bytes: this.#cache.calculatedSize };
  }

  clear(): void {
    this.#cache.clear();
  }
}
