/**
 * Host-side cache of compiled bundles, keyed by sha256 and bounded by count and bytes (lru-cache).
 * (Not `BundleMemo`, btree/bundle-memo.ts, which memoises bundles fetched from the registry.)
 *
 * An entry holds the integrity-checked code, the V8 code cache this process produced the first
 * time it compiled the bundle (reused by every isolate that runs it: the module is re-evaluated
 * per tick, see docs/security.md), the imports it needs and, lazily, its parsed source map.
 * @module
 */
import { createHash } from 'node:crypto';
import type ivm from 'isolated-vm';
import { LRUCache } from 'lru-cache';
import type { SourceMapConsumer } from 'source-map-js';
import { IntegrityError } from '../errors.js';
import { buildFactory, factoryOfText, type BundleFactory, type FactoryText } from './bundle-factory.js';
import { parseSourceMap } from './stack-trace.js';
import type { RunnableBundle } from './types.js';

/** A bundle ready to be compiled into any tenant isolate. */
export interface CachedBundle {
  readonly sha256: string;
  readonly code: string;
  readonly sourceMap: string | undefined;
  /** V8 code cache of the factory script, produced by this process on first compile. */
  cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
  /** The bundle as a per-tick factory (built once, see bundle-factory.ts). */
  factory: Promise<BundleFactory> | undefined;
  /** The built factory, once `factory` has resolved. */
  ready: BundleFactory | undefined;
  /** Module specifiers the bundle imports (known after the first compile). */
  imports: string[] | undefined;
  /** Parsed source map: `undefined` = not parsed yet, `null` = none or unusable. */
  map: SourceMapConsumer | null | undefined;
}

/** Bounds of the compiled-bundle cache. */
export interface CompiledBundleCacheOptions {
  /** Most bundles kept (default: no count bound, the cache is sized by {@link maxBytes}). */
  maxEntries?: number;
  /**
   * Most bytes kept (default 64 MiB), counted per bundle as its code twice (the code and its
   * per-tick factory), its source map, and {@link ENTRY_OVERHEAD_BYTES} for the V8 code cache and
   * book-keeping: e.g. ≈ 2,000 bundles of 10 KB with 15 KB source maps.
   */
  maxBytes?: number;
}

/** @deprecated The former name of {@link CompiledBundleCacheOptions}, kept for the public API. */
export type BundleCacheOptions = CompiledBundleCacheOptions;

/** Bytes counted per cached bundle on top of its texts: the V8 code cache (≈ a quarter of the code) and book-keeping. */
export const ENTRY_OVERHEAD_BYTES = 4096;

/** LRU of {@link CachedBundle} by sha256: what each isolate compiles a bundle from. */
export class CompiledBundleCache {
  private readonly lru: LRUCache<string, CachedBundle>;

  constructor(options: CompiledBundleCacheOptions = {}) {
    this.lru = new LRUCache<string, CachedBundle>({
      ...(options.maxEntries !== undefined ? { max: options.maxEntries } : {}),
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      // The factory source is about the size of the code again.
      sizeCalculation: (b) => 2 * b.code.length + (b.sourceMap?.length ?? 0) + ENTRY_OVERHEAD_BYTES,
    });
  }

  /** Returns the entry for `bundle`, checking its sha256 the first time it is seen. */
  get(bundle: RunnableBundle): CachedBundle {
    const hit = this.lru.get(bundle.sha256);
    if (hit && hit.code === bundle.code) return hit;
    const actual = createHash('sha256').update(bundle.code, 'utf8').digest('hex');
    if (actual !== bundle.sha256) {
      throw new IntegrityError('bundle integrity check failed', bundle.sha256, actual, {
        context: { tenant: bundle.tenantId, node: bundle.node, version: bundle.version },
      });
    }
    const entry: CachedBundle = {
      sha256: bundle.sha256,
      code: bundle.code,
      sourceMap: bundle.sourceMap,
      cachedData: undefined,
      factory: undefined,
      ready: undefined,
      imports: undefined,
      map: undefined,
    };
    this.lru.set(bundle.sha256, entry);
    return entry;
  }

  /** The entry of `sha256` if cached (already checked), without touching the LRU order. */
  peek(sha256: string): CachedBundle | undefined {
    return this.lru.peek(sha256);
  }

  /** The factory of an entry (built on first need; a failed build is retried next time). */
  factoryOf(entry: CachedBundle): Promise<BundleFactory> {
    entry.factory ??= buildFactory(entry.code).then(
      (f) => (entry.ready = f),
      (e: unknown) => {
        entry.factory = undefined;
        throw e;
      },
    );
    return entry.factory;
  }

  /**
   * Gives an entry the factory built elsewhere (by the host, for a shard) unless it has one; a
   * refused bundle keeps failing with esbuild's message and is never built here.
   */
  provideFactory(entry: CachedBundle, text: FactoryText): void {
    if (entry.factory) return;
    try {
      const factory = factoryOfText(text);
      entry.ready = factory;
      entry.factory = Promise.resolve(factory);
    } catch (e) {
      entry.factory = Promise.reject(e);
      entry.factory.catch(() => undefined);
    }
  }

  /** The factory of an entry when it is already built (the synchronous fast path). */
  readyFactory(entry: CachedBundle): BundleFactory | undefined {
    return entry.ready;
  }

  /** The parsed source map of an entry (parsed on first need, e.g. the first error). */
  sourceMapOf(entry: CachedBundle): SourceMapConsumer | undefined {
    if (entry.map === undefined) entry.map = parseSourceMap(entry.sourceMap) ?? null;
    return entry.map ?? undefined;
  }

  /** Entry count and bytes, for stats. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize };
  }

  clear(): void {
    this.lru.clear();
  }
}
