/**
 * `JavaScriptInterpreter`: inline JavaScript run in QuickJS (WebAssembly), never in the host's realm.
 *
 * API:
 * - `new QuickJsEngine(options?)`: an {@link InterpreterEngine} (`language: 'javascript'`).
 * - `createJavaScriptInterpreterClass(btree, options?)` → `{ JavaScriptInterpreter, engine, metadata }`:
 *   the host node class (see `interpreter-node.ts`) wired to a QuickJS engine.
 *
 * Where scripts run: QuickJS runs in a small pool of worker threads (default one), because some
 * builtins never poll QuickJS's interrupt handler (a catastrophic regex, `new Array(1e9).join()`):
 * the host terminates a worker that misses its hard deadline (timeout + grace) and starts a new one.
 * The host's event loop never waits on a script.
 *
 * Isolation: every run starts from a **pristine QuickJS runtime and context** (the trusted prelude
 * evaluated, nothing of any tenant in it), so nothing — globals, prototypes, atoms, memory accounting,
 * `Math.random`'s state — survives from one run, or one tenant, to the next. By default a worker builds
 * that runtime once and copies its wasm memory back after every run (see
 * {@link QuickJsEngineOptions.restoreMemory}); otherwise it builds a new one per run. No host function is ever installed in the context: inputs
 * go in as JSON texts parsed inside QuickJS when the script first reads them, and results, output and error descriptions come out as
 * text produced by a trusted prelude (`javascript-prelude.ts`), length-checked before being copied out,
 * then parsed and re-checked on the host (the result with `toJsonSafe`, the output against its caps). Only source text is evaluated, never bytecode.
 * Contexts are `lean` by default: no typed arrays, `Proxy` or `BigInt` (see {@link QuickJsEngineOptions.intrinsics}).
 *
 * Limits: `runtime.setMemoryLimit` (bounds the memory of uninterruptible builtins such as
 * `'x'.repeat(2**28)`), `runtime.setMaxStackSize`, an interrupt handler polled by the interpreter that
 * stops the run at its deadline, and the worker's hard deadline for builtins that do not poll it.
 *
 * @module
 */
import type { BtreeModule, HostNodeMetadata } from '../binding-core/host-btree.js';
import { createInterpreterNodeClass, interpreterNodeMetadata, type InterpreterNodeClass, type InterpreterNodeOptions } from '../binding-core/interpreter-node.js';
import { QuickJsEngine } from './javascript-worker-pool.js';
import type { InterpreterEngine, JsonValue } from '../binding-core/interpreter-types.js';

export { QuickJsEngine, type QuickJsEngineOptions } from './javascript-worker-pool.js';

/** Options of {@link createJavaScriptInterpreterClass}. */
export interface JavaScriptInterpreterOptions extends Partial<Pick<InterpreterNodeOptions, 'limits' | 'logger' | 'tenantId'>> {
  /** An engine to share (e.g. one per host). Default: a new {@link QuickJsEngine}. */
  engine?: QuickJsEngine | InterpreterEngine;
}

/**
 * Builds the `JavaScriptInterpreter` node class for a host btree module.
 *
 * @example
 * ```ts
 * const { JavaScriptInterpreter, metadata, engine } = createJavaScriptInterpreterClass(btree);
 * registry.register('JavaScriptInterpreter', JavaScriptInterpreter, metadata);
 * // YAML: - type: JavaScriptInterpreter
 * //         props: { outputKey: total, timeout: 500ms, script: "result = items.reduce((a, b) => a + b, 0)" }
 * await engine.dispose(); // when the host shuts down
 * ```
 */
export function createJavaScriptInterpreterClass(
  btree: BtreeModule,
  options: JavaScriptInterpreterOptions = {},
): { JavaScriptInterpreter: InterpreterNodeClass; engine: InterpreterEngine; metadata: HostNodeMetadata } {
  const engine = options.engine ?? new QuickJsEngine();
  const JavaScriptInterpreter = createInterpreterNodeClass(btree, engine, {
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
  });
  return { JavaScriptInterpreter, engine, metadata: interpreterNodeMetadata('javascript') };
}

export type { JsonValue };
