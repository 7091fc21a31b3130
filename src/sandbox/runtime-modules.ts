/**
 * Compiles the guest runtime into an isolate, reusing V8 code cache that this process produced
 * itself the first time it compiled each runtime source (never code cache from anywhere else).
 * @module
 */
import type ivm from 'isolated-vm';
import { BASE_MODULES, BTREE_SPECIFIER, INTERNAL_SPECIFIER, SDK_MODULES, SDK_SPECIFIER, TEMPORAL_SPECIFIER, type RuntimeModuleSource } from './guest/modules.js';
import { zodGuestSource } from './guest/zod-bundle.js';
import { InternalError, InvalidInputError } from '../errors.js';

/** The specifiers a tenant bundle may import. */
export const PUBLIC_SPECIFIERS: readonly string[] = Object.freeze([BTREE_SPECIFIER, TEMPORAL_SPECIFIER, SDK_SPECIFIER]);

/**
 * isolated-vm sets these on modules compiled with `cachedData` / `produceCachedData`, but its
 * typings declare them only for scripts.
 */
export type CachedDataModule = ivm.Module & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };

/** Same for scripts. */
export type CachedDataScript = ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };

const codeCache = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();

/** Compiles `source` as a classic script, with (or producing) this process's code cache for `name`. */
export function compileCachedScript(isolate: ivm.Isolate, name: string, source: string): ivm.Script {
  const key = `script:${name}`;
  const cached = codeCache.get(key);
  const filename = `wf-runtime:${name}.js`;
  const script: CachedDataScript = cached
    ? isolate.compileScriptSync(source, { filename, cachedData: cached })
    : isolate.compileScriptSync(source, { filename, produceCachedData: true });
  if ((!cached || script.cachedDataRejected) && script.cachedData) codeCache.set(key, script.cachedData);
  return script;
}

/** Compiles `source` as a module, with (or producing) this process's code cache for `name`. */
export function compileCached(isolate: ivm.Isolate, name: string, source: string): ivm.Module {
  const cached = codeCache.get(name);
  const filename = `wf-runtime:${name}.js`;
  const module: CachedDataModule = cached
    ? isolate.compileModuleSync(source, { filename, cachedData: cached })
    : isolate.compileModuleSync(source, { filename, produceCachedData: true });
  if (!cached || module.cachedDataRejected) {
    if (module.cachedData) codeCache.set(name, module.cachedData);
  }
  return module;
}

/** The runtime modules of one isolate, and the resolver tenant bundles link against. */
export class RuntimeModules {
  readonly internal: ivm.Module;
  private readonly byName = new Map<string, ivm.Module>();
  private readonly own = new Set<ivm.Module>();
  private sdk: Promise<void> | undefined;

  constructor(
    private readonly isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    timeoutMs: number,
  ) {
    for (const m of BASE_MODULES) this.load(m, timeoutMs);
    this.internal = this.byName.get(INTERNAL_SPECIFIER) as ivm.Module;
  }

  /** True when `specifier` can be linked now. */
  has(specifier: string): boolean {
    return this.byName.has(specifier);
  }

  /** Loads zod and the SDK module (first use per isolate; zod is bundled once per process). */
  ensureSdk(timeoutMs: number): Promise<void> {
    this.sdk ??= zodGuestSource().then((zod) => {
      const script = compileCachedScript(this.isolate, 'zod', zod);
      try {
        const factory = script.runSync(this.context, { reference: true, timeout: timeoutMs }) as ivm.Reference<unknown>;
        const ns = this.internal.namespace;
        try {
          const registerZod = ns.getSync('registerZod', { reference: true }) as ivm.Reference<(f: unknown) => void>;
          registerZod.applySync(undefined, [factory.derefInto()], { timeout: timeoutMs });
          registerZod.release();
        } finally {
          factory.release();
          ns.release();
        }
      } finally {
        script.release();
      }
      for (const m of SDK_MODULES) this.load(m, timeoutMs);
    });
    return this.sdk;
  }

  /** Resolver for tenant bundles: only public specifiers; a clear message for anything else. */
  readonly resolveForBundle = (specifier: string): ivm.Module => {
    const m = PUBLIC_SPECIFIERS.includes(specifier) ? this.byName.get(specifier) : undefined;
    if (!m) {
      throw new InvalidInputError(
        'bundle link failed',
        `the sandbox does not provide module ${JSON.stringify(specifier)}; a bundle may import only ${PUBLIC_SPECIFIERS.join(', ')}`,
      );
    }
    return m;
  };

  private load({ specifier, name, source }: RuntimeModuleSource, timeoutMs: number): ivm.Module {
    const module = compileCached(this.isolate, name, source);
    module.instantiateSync(this.context, (spec: string) => {
      const dep = this.byName.get(spec);
      if (!dep || !this.own.has(dep)) throw new InternalError('sandbox runtime link failed', `runtime module ${name} cannot import ${spec}`);
      return dep;
    });
    module.evaluateSync({ timeout: timeoutMs });
    this.byName.set(specifier, module);
    this.own.add(module);
    return module;
  }
}
