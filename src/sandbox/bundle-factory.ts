/**
 * Turns an ESM bundle into a factory, `function (require, module, exports) { … }`, once per
 * bundle (esbuild's CommonJS transform, about 1 ms for a node-sized bundle).
 *
 * Why: nodes must be stateless across ticks, so the tenant's module scope must be fresh on every
 * tick. Re-linking a V8 module per tick would cross into the host's resolver; calling a factory
 * inside the isolate does not. V8 still links the original ESM once per isolate, so an unknown
 * import fails with V8's own message; the factory then receives the same namespaces.
 *
 * Even so, a fresh module per tick is the largest part of a small node's tick (bench/binding-tick.ts:
 * about 20 µs to evaluate a one-class module with esbuild's helpers, and more after it, since V8
 * meets new classes, so new hidden classes, every tick). A module that can hold no state
 * (module-reuse.ts) is therefore marked `reusable`: the guest evaluates it once per isolate and
 * freezes it. Its factory ends by handing the guest its top-level functions and classes to freeze
 * (`module.locals`).
 * @module
 */
import type { SourceMapConsumer } from 'source-map-js';
import { moduleReuse } from './module-reuse.js';
import { parseSourceMap } from './stack-trace.js';

/** The factory source of a bundle and the map from it back to the bundle. */
export interface BundleFactory {
  /** `(function (require, module, exports) { 'use strict';\n…\n})`: evaluates to the factory. */
  source: string;
  /** Maps factory positions (line 1 = first line of the body) to bundle positions. */
  map: SourceMapConsumer | undefined;
  /** Evaluated once per isolate and frozen, not once per tick (module-reuse.ts). */
  reusable: boolean;
}

/** Thrown when a bundle cannot be turned into a factory (e.g. top-level await). */
export class BundleFactoryError extends Error {}

/**
 * A factory as text: what the host builds once and sends to its shards with a bundle's code, so
 * that esbuild runs only in the host (a shard thread or process would each start its own esbuild
 * service, and esbuild's service has been seen to drop a reply in a busy worker thread on Node 26).
 * `error` when esbuild refused the bundle.
 */
export type FactoryText = { source: string; map: string; reusable: boolean } | { error: string };

/** Builds the factory of an ESM bundle, as text; a bundle esbuild refuses gives `{ error }`. */
export async function factoryText(bundleCode: string): Promise<FactoryText> {
  const esbuild = await import('esbuild');
  const body = bundleCode.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, '\n');
  let out: { code: string; map: string };
  try {
    out = await esbuild.transform(body, {
      format: 'cjs',
      platform: 'neutral',
      target: 'es2022',
      sourcemap: 'external',
      sourcesContent: false,
      sourcefile: 'bundle.js',
      logLevel: 'silent',
    });
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { line: number; column: number } | null }> }).errors;
    const first = errors?.[0];
    const where = first?.location ? ` (bundle line ${first.location.line})` : '';
    return { error: first ? `${first.text}${where}` : String(e) };
  }
  // esbuild copies the exports object once more (`__toCommonJS`) on every evaluation; the getter
  // object it copies from is enough for us, and this runs on every tick. Same line, so the map holds.
  const code = out.code.replace(/^module\.exports = __toCommonJS\((\w+)\);$/m, 'module.exports = $1;');
  // 'use strict': the bundle was an ES module, and its top level must keep module semantics
  // (the CommonJS output does not say so). On the wrapper's line: the map's lines stay put.
  const reuse = moduleReuse(code);
  const locals = reuse.reusable ? `\nmodule.locals = [${reuse.locals.join(', ')}];` : '';
  return { source: `(function (require, module, exports) { 'use strict';\n${code}${locals}\n})`, map: out.map, reusable: reuse.reusable };
}

/** The factory a {@link FactoryText} describes; throws {@link BundleFactoryError} for `{ error }`. */
export function factoryOfText(text: FactoryText): BundleFactory {
  if ('error' in text) throw new BundleFactoryError(text.error);
  return { source: text.source, map: parseSourceMap(text.map), reusable: text.reusable };
}

/** Builds the factory of an ESM bundle. */
export async function buildFactory(bundleCode: string): Promise<BundleFactory> {
  return factoryOfText(await factoryText(bundleCode));
}
