/**
 * One tenant's isolate: its guest runtime, and the host side of the tick protocol.
 *
 * A tick is driven by the host through a handful of synchronous calls into the isolate, each with
 * a timeout (the smaller of the wall and CPU budgets left) and each passing and returning strings
 * only: `startTick` (which takes the blackboard's changes, evaluates a fresh instance of the tenant's
 * module — or reuses the frozen one of a module that can hold no state — and starts
 * `executeTick`), then `poll` → (perform the capability calls it reports, `resume` with their
 * copied results) → `poll` … until the guest is done. When the guest makes no capability call the
 * whole tick is two synchronous calls (the fast path).
 * No host function, object or Reference is ever placed in the isolate.
 *
 * This module owns the isolate's life cycle (create, load bundles, drive the calls, dispose on a
 * breach). What a guest's capability calls do is capability-dispatch.ts; how a final answer becomes
 * an outcome is tick-outcome.ts; the per-tick budgets and timers are tick-state.ts.
 * @module
 */
import type ivm from 'isolated-vm';
import { isolatedVm } from '../platform/isolated-vm.js';
import { DisposedError, InternalError, InvalidInputError } from '../errors.js';
import { BlackboardSync, type BlackboardDelta } from './blackboard-sync.js';
import { BundleFactoryError } from './bundle-factory.js';
import { CapabilityCalls, type CapabilityLookup, type GuestCall } from './capability-dispatch.js';
import type { CompiledBundleCache, CachedBundle } from './compiled-bundle-cache.js';
import { SDK_SPECIFIER } from './guest/modules.js';
import { Breach, errorText, guestFrames, LinkFailure } from './guest-errors.js';
import { limitMessage, setupLimits, type SandboxLimits } from './limits.js';
import { RuntimeModules, type CachedDataScript } from './runtime-modules.js';
import { parseGuestJson } from './safe-json.js';
import { bundleFileName, mapStack } from './stack-trace.js';
import { failure, outcomeOfAnswer } from './tick-outcome.js';
import { heldBytesOf, TickState, type TickMeasure } from './tick-state.js';
import type { BlackboardTexts, GuestIdentity, RunnableBundle, TickInput, TickOutcome } from './types.js';

// Hosts and tests import the capability types from here.
export type { Capability, CapabilityContext, CapabilityLookup } from './capability-dispatch.js';

/** A tick outcome plus what the pool needs to account for it. */
export interface TickResult {
  outcome: TickOutcome;
  /** Set when a limit was broken (the sandbox has then been disposed). */
  breach?: string;
}

/**
 * What every guest entry point that runs tenant code (`startTick`, `resume`, `inspect`) ends with:
 * isolated-vm reports the first unhandled rejection of a call, reading it outside any timeout, so
 * the runtime rejects a private promise with this marker first (see guest/core.js). A call that
 * ends without it has left isolated-vm's rejection list in an unknown state.
 */
const EPILOGUE_MARKER = 'wf:epilogue';

/** Serialises host input for the guest; a value JSON cannot carry is the caller's bug, said clearly. */
export function hostJson(value: unknown, what: string, who: GuestIdentity): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new InvalidInputError('tick input rejected', `the ${what} is not JSON-serializable: ${e instanceof Error ? e.message : String(e)}`, {
      context: { tenant: who.tenantId, node: who.node, version: who.version },
      hint: `pass a JSON-safe copy of the ${what} (no BigInt, functions or cycles)`,
    });
  }
  return text ?? '{}';
}

/**
 * Characters of host blackboards an isolate keeps between ticks (blackboard-sync.ts): a sixteenth
 * of its memory limit, at most 4 Mi. V8 stores such text in one or two bytes per character.
 */
export function blackboardBudget(limits: Pick<SandboxLimits, 'memoryMb'>): number {
  return Math.min(4 * 1024 * 1024, Math.floor((limits.memoryMb * 1024 * 1024) / 16));
}

/** Factories kept registered per isolate; the least recently used is dropped beyond this. */
const MAX_BUNDLES_PER_ISOLATE = 256;

type Fn = ivm.Reference<(...args: unknown[]) => unknown>;

/** One isolate + context + guest runtime for one tenant. Never shared between tenants. */
export class TenantSandbox {
  readonly isolate: ivm.Isolate;
  private readonly context: ivm.Context;
  private readonly runtime: RuntimeModules;
  private readonly fns: { startTick: Fn; poll: Fn; resume: Fn; abandon: Fn; inspect: Fn; takeInspection: Fn; register: Fn; unregister: Fn };
  /** Bundles whose factory is registered in this isolate (LRU by Map order). */
  private readonly loaded = new Map<string, true>();
  private nextTickId = 0;
  /** What this isolate holds of the host's blackboards. */
  private readonly boards: BlackboardSync;
  /** The tenant's capability lookup, cached here by the pool for the isolate's lifetime. */
  capabilities: CapabilityLookup | undefined;
  /** Ticks and inspections in flight. */
  active = 0;
  private disposed = false;
  /** See {@link takeHeldReading}. */
  private heldRead: number | undefined;
  /** Set when a tenant-code call ended without the epilogue marker: the isolate is not reused. */
  private tainted = false;

  constructor(
    readonly tenantId: string,
    readonly limits: SandboxLimits,
    private readonly bundles: CompiledBundleCache,
    private readonly onDispose: (sandbox: TenantSandbox, reason: string) => void,
    onCatastrophicError?: (message: string) => void,
  ) {
    this.boards = new BlackboardSync(blackboardBudget(limits));
    this.isolate = new (isolatedVm().Isolate)({
      memoryLimit: limits.memoryMb,
      ...(onCatastrophicError ? { onCatastrophicError } : {}),
    });
    try {
      this.context = this.isolate.createContextSync();
      const setupTimeout = setupLimits(limits).cpuTimeMs;
      this.runtime = new RuntimeModules(this.isolate, this.context, setupTimeout);
      const ns = this.runtime.internal.namespace;
      const fn = (name: string): Fn => ns.getSync(name, { reference: true }) as Fn;
      this.fns = {
        startTick: fn('startTick'), poll: fn('poll'), resume: fn('resume'), abandon: fn('abandon'),
        inspect: fn('inspect'), takeInspection: fn('takeInspection'), register: fn('register'), unregister: fn('unregister'),
      };
      const guestLimits = {
        writesOutBytes: limits.writesOutBytes,
        logLines: limits.logLines,
        logBytes: limits.logBytes,
        logLineBytes: limits.logLineBytes,
        capabilityArgBytes: limits.capabilityArgBytes,
        capabilityCallsPerTick: limits.capabilityCallsPerTick,
        concurrentCapabilityCalls: limits.concurrentCapabilityCalls,
      };
      (ns.getSync('configure', { reference: true }) as Fn).applySync(undefined, [JSON.stringify(guestLimits)], { timeout: setupTimeout });
      ns.release();
    } catch (e) {
      this.isolate.dispose();
      throw e;
    }
  }

  /**
   * Bytes this isolate holds: its V8 heap as committed (`total_heap_size`) plus memory allocated
   * outside it (ArrayBuffers), 0 once disposed. What the pool's memory budget counts.
   */
  heldBytes(): number {
    this.heldRead = undefined;
    if (!this.alive) return 0;
    try {
      const h = this.isolate.getHeapStatisticsSync();
      return heldBytesOf(h);
    } catch {
      return 0;
    }
  }

  /** V8 heap in use by this isolate (0 once disposed). */
  heapBytes(): number {
    if (!this.alive) return 0;
    try {
      return this.isolate.getHeapStatisticsSync().used_heap_size;
    } catch {
      return 0;
    }
  }

  get alive(): boolean {
    return !this.disposed && !this.isolate.isDisposed;
  }

  /** Disposes the isolate (idempotent). In-flight ticks of this tenant then fail. */
  dispose(reason = 'disposed'): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      if (!this.isolate.isDisposed) this.isolate.dispose();
    } finally {
      this.onDispose(this, reason);
    }
  }

  /**
   * Runs one tick. Never throws for guest failures. When the bundle is loaded and the guest makes
   * no capability call, everything up to the returned promise happens synchronously.
   */
  tick(bundle: RunnableBundle, entry: CachedBundle, input: TickInput, capabilities: CapabilityLookup, measure?: TickMeasure): Promise<TickResult> {
    if (!this.alive) throw new DisposedError('tenant sandbox', { context: { tenant: this.tenantId } });
    const L = this.limits;
    const who: GuestIdentity = { tenantId: bundle.tenantId, node: bundle.node, version: bundle.version };
    const texts = input.blackboardTexts;
    const bb = texts ?? input.blackboardJson ?? hostJson(input.blackboard ?? {}, 'blackboard', who);
    const bbBytes = typeof bb === 'string' ? bb.length : bb.bytes;
    if (bbBytes > L.blackboardInBytes) {
      return Promise.resolve({ outcome: failure(limitMessage(who, 'blackboardInBytes', L, `${bbBytes} bytes`)), breach: 'blackboardInBytes' });
    }
    if (input.signal?.aborted) return Promise.resolve({ outcome: failure(`${who.node}@${who.version} was cancelled before it ran`) });
    const tickId = ++this.nextTickId;
    const id = input.nodeId ?? bundle.node;
    const inputJson =
      `{"t":${tickId},"id":${JSON.stringify(id)},"name":${JSON.stringify(input.nodeName ?? id)}` +
      `,"ts":${Date.now()},"props":${input.propsJson ?? hostJson(input.props ?? {}, 'props', who)}}`;
    const run = new TickState(this.isolate, who, L, input.signal);
    run.onUsage = input.onUsage;
    run.measure = measure;
    run.usageHeap = (input.onUsage !== undefined && input.usageHeap !== false) || measure?.heap === true;
    this.active++;
    const factory = this.loaded.has(entry.sha256) ? this.bundles.readyFactory(entry) : undefined;
    if (!factory) return this.loadThenTick(tickId, entry, inputJson, bb, run, capabilities);
    run.factory = factory;
    const first = this.startAndPoll(tickId, entry, inputJson, bb, run);
    if (typeof first !== 'string') {
      this.end(run);
      return Promise.resolve(first);
    }
    return this.continueTick(tickId, entry, run, capabilities, first);
  }

  private async loadThenTick(tickId: number, entry: CachedBundle, inputJson: string, bb: string | BlackboardTexts, run: TickState, capabilities: CapabilityLookup): Promise<TickResult> {
    try {
      await this.ensureLoaded(entry, run);
    } catch (e) {
      this.end(run);
      return this.failed(e, run.who, entry, run);
    }
    const first = this.startAndPoll(tickId, entry, inputJson, bb, run);
    if (typeof first !== 'string') {
      this.end(run);
      return first;
    }
    return this.continueTick(tickId, entry, run, capabilities, first);
  }

  /** `startTick` + first `poll`: a result, or the `wait` answer when capabilities are pending. */
  private startAndPoll(tickId: number, entry: CachedBundle, inputJson: string, bb: string | BlackboardTexts, run: TickState): TickResult | string {
    const delta: BlackboardDelta | undefined = typeof bb === 'string' ? undefined : this.boards.delta(bb);
    try {
      try {
        this.callTenantCode(this.fns.startTick, [entry.sha256, inputJson, delta ? delta.arg : (bb as string)], run);
      } catch (e) {
        delta?.abort();
        throw e;
      }
      delta?.commit();
      const r = run.call(this.fns.poll, [tickId]) as string;
      if (r.startsWith('wait')) return r;
      return { outcome: outcomeOfAnswer(r, entry, run, this.limits, this.bundles) };
    } catch (e) {
      this.abandon(tickId);
      return this.failed(e, run.who, entry, run);
    }
  }

  private async continueTick(tickId: number, entry: CachedBundle, run: TickState, capabilities: CapabilityLookup, first: string): Promise<TickResult> {
    const abort = new AbortController();
    try {
      return { outcome: await this.drive(tickId, entry, run, capabilities, abort.signal, first) };
    } catch (e) {
      this.abandon(tickId);
      return this.failed(e, run.who, entry, run);
    } finally {
      abort.abort();
      this.end(run);
    }
  }

  /**
   * Calls a guest entry point that runs tenant code. It must end by throwing the epilogue marker
   * (its own return value is never needed); anything else taints the isolate, which is then
   * disposed by {@link failed}.
   */
  private callTenantCode(fn: Fn, args: Array<string | number>, run: TickState): void {
    try {
      run.call(fn, args);
    } catch (e) {
      if (e === EPILOGUE_MARKER) return;
      if (!(e instanceof Breach)) this.tainted = true;
      throw e;
    }
    this.tainted = true;
    throw new InternalError('sandbox call failed', 'the sandbox runtime ended a call without its epilogue marker');
  }

  private end(run: TickState): void {
    run.clearTimers();
    this.active--;
    if (!run.onUsage && !run.measure) return;
    const usage = run.usage();
    if (run.measure) run.measure.usage = usage;
    if (run.heldBytes !== undefined) this.heldRead = run.heldBytes;
    if (!run.onUsage) return;
    try {
      run.onUsage(usage);
    } catch {
      // A report is not worth a tick: the caller's callback failing changes nothing here.
    }
  }

  /**
   * What the isolate held when a tick's usage (report or measure) last read its heap, once: the pool counts it
   * against its memory budget instead of reading the heap again (a V8 call, ≈ 3 µs). `undefined`
   * when no report read it since the last call.
   */
  takeHeldReading(): number | undefined {
    const read = this.heldRead;
    this.heldRead = undefined;
    return read;
  }

  /** Drops a tick's guest state after a failure (best effort: the isolate may be gone). */
  private abandon(tickId: number): void {
    if (!this.alive) return;
    try {
      this.fns.abandon.applySync(undefined, [tickId], { timeout: 50 });
    } catch {
      /* the tick failed anyway; nothing more to clean up */
    }
  }

  /** Runs the bundle once to read its metadata. Throws a {@link Breach}-derived outcome as an Error. */
  async inspect(bundle: RunnableBundle, entry: CachedBundle): Promise<{ metadata?: unknown; error?: string; breach?: string }> {
    if (!this.alive) throw new DisposedError('tenant sandbox', { context: { tenant: this.tenantId } });
    const who: GuestIdentity = { tenantId: bundle.tenantId, node: bundle.node, version: bundle.version };
    // The first compile and evaluation of the module happen here, in a fresh isolate: the setup budget.
    const run = new TickState(this.isolate, who, setupLimits(this.limits), undefined);
    this.active++;
    try {
      await this.ensureLoaded(entry, run);
      this.callTenantCode(this.fns.inspect, [entry.sha256], run);
      const json = run.sync(() => this.fns.takeInspection.applySync(undefined, [], { timeout: run.budget(), result: { copy: true } })) as unknown;
      if (typeof json !== 'string' || json.length > 1024 * 1024 + 1) return { error: 'the node metadata is not a JSON string under 1 MiB' };
      if (json.startsWith('!')) {
        return { error: `${who.node}@${who.version} threw: ${mapStack(guestFrames(json.slice(1)), this.bundles.sourceMapOf(entry), run.factory?.map)}` };
      }
      return { metadata: parseGuestJson(json) };
    } catch (e) {
      const r = this.failed(e, who, entry, run);
      return { error: r.outcome.error, ...(r.breach ? { breach: r.breach } : {}) };
    } finally {
      this.active--;
    }
  }

  /**
   * Makes the bundle runnable in this isolate, once: V8 links the original ESM against the
   * runtime modules (unknown imports fail here with V8's message), then the factory script is
   * compiled (with this process's code cache) and registered in the guest under the sha256.
   */
  private async ensureLoaded(entry: CachedBundle, run: TickState): Promise<void> {
    run.factory = await this.bundles.factoryOf(entry).catch((e: unknown) => {
      throw e instanceof BundleFactoryError ? new LinkFailure(`the bundle could not be prepared: ${e.message}`) : e;
    });
    if (!this.alive) throw new DisposedError('tenant sandbox', { context: { tenant: this.tenantId } });
    if (this.loaded.has(entry.sha256)) {
      this.loaded.delete(entry.sha256);
      this.loaded.set(entry.sha256, true);
      return;
    }
    const filename = bundleFileName(entry.sha256);
    const esm = run.sync(() => this.isolate.compileModuleSync(entry.code, { filename }));
    try {
      entry.imports ??= [...esm.dependencySpecifiers];
      if (entry.imports.includes(SDK_SPECIFIER) && !this.runtime.has(SDK_SPECIFIER)) {
        await this.runtime.ensureSdk(setupLimits(this.limits).cpuTimeMs);
        if (!this.alive) throw new DisposedError('tenant sandbox', { context: { tenant: this.tenantId } });
      }
      try {
        run.sync(() => esm.instantiateSync(this.context, this.runtime.resolveForBundle));
      } catch (e) {
        throw new LinkFailure(errorText(e).split('\n')[0] ?? 'link failed');
      }
    } finally {
      esm.release();
    }
    const factory = run.factory;
    const script: CachedDataScript = run.sync(() =>
      entry.cachedData
        ? this.isolate.compileScriptSync(factory.source, { filename, lineOffset: -1, cachedData: entry.cachedData })
        : this.isolate.compileScriptSync(factory.source, { filename, lineOffset: -1, produceCachedData: true }),
    );
    try {
      if (!entry.cachedData || script.cachedDataRejected) entry.cachedData = script.cachedData;
      const fn = run.sync(() => script.runSync(this.context, { reference: true, timeout: run.budget() })) as ivm.Reference<unknown>;
      try {
        run.sync(() => this.fns.register.applySync(undefined, [entry.sha256, fn.derefInto(), factory.reusable], { timeout: run.budget() }));
      } finally {
        fn.release();
      }
    } finally {
      script.release();
    }
    this.loaded.set(entry.sha256, true);
    if (this.loaded.size > MAX_BUNDLES_PER_ISOLATE) {
      const oldest = this.loaded.keys().next().value as string;
      this.loaded.delete(oldest);
      this.fns.unregister.applySync(undefined, [oldest], { timeout: 100 });
    }
  }

  private async drive(
    tickId: number,
    entry: CachedBundle,
    run: TickState,
    capabilities: CapabilityLookup,
    signal: AbortSignal,
    first: string,
  ): Promise<TickOutcome> {
    const who = run.who;
    const calls = new CapabilityCalls(run, this.limits, capabilities, signal);
    let r = first;
    for (;;) {
      if (!r.startsWith('wait')) return outcomeOfAnswer(r, entry, run, this.limits, this.bundles);
      calls.start(JSON.parse(r.slice(5)) as GuestCall[]);
      if (calls.idle) {
        return failure(
          `${who.node}@${who.version} never settled: executeTick awaits a promise that nothing can resolve. ` +
            'HINT: await only capabilities (proxyActivities), sleep() or your own promises',
          run.logs,
        );
      }
      while (!calls.hasSettled && !calls.late) {
        const woke = await run.waitForWake();
        if (woke === 'timeout') throw new Breach('wallTimeMs');
        if (woke === 'aborted') return failure(`${who.node}@${who.version} was cancelled`, run.logs);
      }
      if (calls.late) throw calls.late;
      this.callTenantCode(this.fns.resume, [tickId, JSON.stringify(calls.takeSettled())], run);
      r = run.call(this.fns.poll, [tickId]) as string;
    }
  }

  private failed(e: unknown, who: GuestIdentity, entry: CachedBundle, run: TickState): TickResult {
    const L = this.limits;
    let limit: string | undefined;
    let detail: string | undefined;
    if (e instanceof Breach) {
      limit = e.limit;
      detail = e.detail;
    } else if (this.isolate.isDisposed && !this.disposed) {
      limit = 'memory';
    } else if (e instanceof Error && e.message === 'Isolate was disposed during execution due to memory limit') {
      limit = 'memory';
    } else if (e instanceof Error && e.message === 'Script execution timed out.') {
      limit = run.lastBudget;
    }
    if (limit) {
      this.dispose(`limit ${limit}`);
      return { outcome: failure(limitMessage(who, limit, L, detail), run.logs), breach: limit };
    }
    if (this.tainted) this.dispose('a call into tenant code ended abnormally');
    if (e instanceof LinkFailure) {
      return { outcome: failure(`${who.node}@${who.version} failed to load: ${e.message}`, run.logs) };
    }
    if (this.disposed || this.isolate.isDisposed) {
      return { outcome: failure(`${who.node}@${who.version} was stopped: the tenant's isolate was disposed (${String(e instanceof Error ? e.message : e)})`, run.logs) };
    }
    return {
      outcome: failure(`${who.node}@${who.version} threw: ${mapStack(guestFrames(errorText(e)), this.bundles.sourceMapOf(entry), run.factory?.map)}`, run.logs),
    };
  }
}
