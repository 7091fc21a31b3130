/**
 * The host's book-keeping of one tick: wall and CPU budgets, CPU charged per isolate call, timers
 * (`sleep`), wake-ups when a capability settles, and what the tick has logged so far.
 * @module
 */
import type ivm from 'isolated-vm';
import type { BundleFactory } from './bundle-factory.js';
import { Breach } from './guest-errors.js';
import type { SandboxLimits } from './limits.js';
import type { GuestIdentity, GuestLogLine, TickInput, TickUsage } from './types.js';

/**
 * Options of {@link TickState.call}, reused: isolated-vm reads them during `applySync`, and calls are
 * synchronous, so one object per process is enough.
 */
const CALL_OPTIONS: { timeout: number } = { timeout: 1 };

/**
 * Bytes an isolate holds, from its heap statistics: its V8 heap as committed plus memory allocated
 * outside it (ArrayBuffers). What the pool's memory budget counts.
 */
export function heldBytesOf(h: { total_heap_size: number; externally_allocated_size: number }): number {
  return h.total_heap_size + h.externally_allocated_size;
}

/**
 * What a runner measuring its own ticks wants of one (see `NodeRunner.tickObserved`): the sandbox
 * fills `usage` when the tick ends, with the isolate's heap when `heap` is set.
 */
export interface TickMeasure {
  readonly heap: boolean;
  usage: TickUsage | undefined;
}

/** Book-keeping of one tick on the host: budgets, CPU used, timers, wake-ups, the logs so far. */
export class TickState {
  private readonly started = performance.now();
  private cpuNs = 0n;
  lastBudget: 'wallTimeMs' | 'cpuTimeMs' = 'wallTimeMs';
  logs: GuestLogLine[] = [];
  /** The bundle's factory, once loaded (its map turns factory positions back into bundle ones). */
  factory: BundleFactory | undefined;
  /** The caller's usage report ({@link TickInput.onUsage}), called when the tick ends. */
  onUsage: ((usage: TickUsage) => void) | undefined;
  /** The runner's own measure of the tick, filled when it ends. */
  measure: TickMeasure | undefined;
  /** Created on the first timer: most ticks never set one. */
  private timers: Set<ReturnType<typeof setTimeout>> | undefined;
  private wakeFn: (() => void) | undefined;
  private woken = false;

  constructor(
    private readonly isolate: ivm.Isolate,
    readonly who: GuestIdentity,
    private readonly limits: SandboxLimits,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Read the heap in {@link usage} (the caller's {@link TickInput.usageHeap}, or the runner's {@link TickMeasure.heap}). */
  usageHeap = true;

  /**
   * Bytes the isolate held (committed heap plus external memory) when {@link usage} read its heap;
   * `undefined` when it did not. The pool counts it against its memory budget instead of reading
   * the heap a second time.
   */
  heldBytes: number | undefined;

  /** CPU and wall time this tick has used so far, and the isolate's heap (see {@link TickUsage}) unless {@link usageHeap} is off. */
  usage(): TickUsage {
    const iso = this.isolate;
    let heapBytes: number | undefined;
    if (this.usageHeap && !iso.isDisposed) {
      try {
        const h = iso.getHeapStatisticsSync();
        heapBytes = h.used_heap_size;
        this.heldBytes = heldBytesOf(h);
      } catch {
        heapBytes = undefined;
      }
    }
    return { cpuMs: Number(this.cpuNs) / 1e6, wallMs: performance.now() - this.started, heapBytes };
  }

  wallLeft(): number {
    return this.limits.wallTimeMs - (performance.now() - this.started);
  }

  cpuLeft(): number {
    return this.limits.cpuTimeMs - Number(this.cpuNs) / 1e6;
  }

  /** Timeout for the next synchronous call: the smaller budget left, at least 1 ms. */
  budget(): number {
    const wall = this.wallLeft();
    const cpu = this.cpuLeft();
    this.lastBudget = cpu < wall ? 'cpuTimeMs' : 'wallTimeMs';
    return Math.max(1, Math.ceil(Math.min(wall, cpu)));
  }

  /**
   * Calls a guest entry point synchronously with the budget left as its timeout, charging its CPU
   * time to this tick. The same as `sync(() => fn.applySync(…))` without a closure and an options
   * object per call (this is the per-tick hot path).
   */
  call(fn: ivm.Reference<(...args: never[]) => unknown>, args: Array<string | number>): unknown {
    if (this.wallLeft() <= 0) throw new Breach('wallTimeMs');
    if (this.cpuLeft() <= 0) throw new Breach('cpuTimeMs');
    const iso = this.isolate;
    const before = iso.cpuTime;
    CALL_OPTIONS.timeout = this.budget();
    try {
      return fn.applySync(undefined, args as never[], CALL_OPTIONS);
    } finally {
      if (!iso.isDisposed) this.cpuNs += iso.cpuTime - before;
      if (this.cpuLeft() <= 0 && !iso.isDisposed) this.lastBudget = 'cpuTimeMs';
    }
  }

  /** Runs a synchronous isolate call, charging its CPU time to this tick. */
  sync<T>(fn: () => T): T {
    if (this.wallLeft() <= 0) throw new Breach('wallTimeMs');
    if (this.cpuLeft() <= 0) throw new Breach('cpuTimeMs');
    const iso = this.isolate;
    const before = iso.cpuTime;
    try {
      return fn();
    } finally {
      if (!iso.isDisposed) this.cpuNs += iso.cpuTime - before;
      if (this.cpuLeft() <= 0 && !iso.isDisposed) this.lastBudget = 'cpuTimeMs';
    }
  }

  timer(fn: () => void, ms: number): void {
    const timers = (this.timers ??= new Set());
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  clearTimers(): void {
    if (!this.timers) return;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  wake(): void {
    this.woken = true;
    this.wakeFn?.();
  }

  /** Waits until a capability settles, the wall budget runs out, or the tick is cancelled. */
  waitForWake(): Promise<'woken' | 'timeout' | 'aborted'> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve('woken');
    }
    if (this.signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const onAbort = (): void => finish('aborted');
      const t = setTimeout(() => finish('timeout'), Math.max(0, this.wallLeft()));
      const finish = (why: 'woken' | 'timeout' | 'aborted'): void => {
        clearTimeout(t);
        this.signal?.removeEventListener('abort', onAbort);
        this.wakeFn = undefined;
        this.woken = false;
        resolve(why);
      };
      this.wakeFn = () => finish('woken');
      this.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
