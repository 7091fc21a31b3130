/**
 * The factories of the bundles the shards run, built on the host once per bundle and sent to each
 * shard with the bundle's code, so that no shard thread or process runs esbuild (see
 * bundle-factory.ts). Bounded by bytes; a dropped factory is built again when next needed.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { factoryText, type FactoryText } from '../sandbox/bundle-factory.js';
import type { RunnableBundle } from '../sandbox/types.js';

/** Bytes of factories kept: a factory and its map are each about the size of the bundle. */
const MAX_BYTES = 64 * 1024 * 1024;

/** Factories by bundle sha256. */
export class HostFactories {
  private readonly lru = new LRUCache<string, { bytes: number; text: Promise<FactoryText> }>({
    maxSize: MAX_BYTES,
    sizeCalculation: (v) => v.bytes,
  });

  /** The factory of `bundle`, built on first need (a failure to run esbuild at all is not kept). */
  of(bundle: RunnableBundle): Promise<FactoryText> {
    const hit = this.lru.get(bundle.sha256);
    if (hit) return hit.text;
    const text = factoryText(bundle.code);
    const bytes = Math.min(MAX_BYTES, 2 * bundle.code.length + 4096);
    this.lru.set(bundle.sha256, { bytes, text });
    text.catch(() => this.lru.delete(bundle.sha256));
    return text;
  }
}
