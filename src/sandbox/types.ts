/**
 * The contract between the btree binding and the sandbox that runs tenant code.
 * @module
 */
import type { BlackboardTexts, GuestLogLine, JsonValue, NodeMetadata, TickOutcome } from '../binding-core/types.js';

/** Who is running: used for isolation (one isolate per tenant), limits, logs and capabilities. */
export interface GuestIdentity {
  tenantId: string;
  node: string;
  version: string;
}

/** A loaded, integrity-checked bundle ready to run. */
export interface RunnableBundle extends GuestIdentity {
  /** sha256 of `code`; the module cache key. */
  sha256: string;
  /** ESM bundle produced by the loader. */
  code: string;
  /** Source map (JSON text), so that guest stack traces point at TypeScript lines. */
  sourceMap?: string;
}

export type { BlackboardTexts, GuestLogLine, JsonValue, TickOutcome };

/** Input of one tick. */
export interface TickInput {
  /** The node's validated props (literal config values, JSON-safe). */
  props: Record<string, JsonValue>;
  /** A JSON-safe copy of the host blackboard. */
  blackboard: Record<string, JsonValue>;
  /**
   * The JSON text of {@link blackboard}, when the caller has it already (the binding makes the copy
   * as text). Runners that hand the blackboard to an isolate, a thread or a process send this text
   * instead of serialising {@link blackboard} again, and may then never read {@link blackboard}
   * (the binding parses it only on demand). It must be exactly `JSON.stringify(blackboard)`.
   */
  blackboardJson?: string;
  /**
   * The same copy as JSON texts key by key, with the host blackboard it came from (the binding makes
   * it so). The in-process sandbox then sends an isolate only the keys that changed since it last
   * ticked a node on the same host blackboard. Takes precedence over {@link blackboardJson}.
   */
  blackboardTexts?: BlackboardTexts;
  /** The JSON text of {@link props}, when the caller has it already; the same rule as {@link blackboardJson}. */
  propsJson?: string;
  /** Aborts the run (e.g. Temporal activity cancellation). */
  signal?: AbortSignal;
  /** The host node's id (btree `config.id`); defaults to the node name. */
  nodeId?: string;
  /** The host node's name (btree `config.name`); defaults to `nodeId`. */
  nodeName?: string;
  /**
   * Called once when the tick ends (whatever its outcome) with what it used. For tools that report
   * cost (the author's test harness); reading the heap costs a V8 call, so the hot path passes none.
   */
  onUsage?: (usage: TickUsage) => void;
  /**
   * With `onUsage`: read the isolate's heap for `heapBytes` (default true). False saves that V8
   * call (≈ 2–3 µs) and leaves `heapBytes` undefined; CPU and wall time cost nothing extra.
   */
  usageHeap?: boolean;
}

/** What one tick used, as the sandbox measured it against its limits. */
export interface TickUsage {
  /** CPU time the isolate spent on the tick (ms): what `cpuTimeMs` limits. */
  cpuMs: number;
  /** Wall-clock time of the tick, awaited capabilities included (ms): what `wallTimeMs` limits. */
  wallMs: number;
  /**
   * V8 heap in use by the tenant's isolate when the tick ended (bytes; the guest runtime included):
   * what `memoryMb` limits. `undefined` when a breach disposed the isolate.
   */
  heapBytes: number | undefined;
}

/** Runs tenant bundles. Implemented by the isolated-vm sandbox pool. */
export interface NodeRunner {
  /** Runs the bundle once to read its metadata (publish time). */
  inspect(bundle: RunnableBundle): Promise<NodeMetadata>;
  /** Runs one tick. Never throws for guest failures: they come back as `status: 'FAILURE'`. */
  tick(bundle: RunnableBundle, input: TickInput): Promise<TickOutcome>;
  /**
   * @internal Runs one tick as {@link tick} does and tells `observer` how it went, from inside the
   * runner (no wrapper around the tick). Runners that measure their ticks (the in-process
   * `SandboxPool`) have it; telemetry wraps the others.
   */
  tickObserved?(bundle: RunnableBundle, input: TickInput, observer: TickObserver): Promise<TickOutcome>;
  /** @internal The runner that runs `bundle` (a runner of several tiers answers the tier's; may throw as `tick` would reject). */
  runnerFor?(bundle: RunnableBundle): NodeRunner;
  dispose(): Promise<void>;
}

/** @internal How a runner that measures its own ticks reports them (see {@link NodeRunner.tickObserved}). */
export interface TickObserver {
  /** Asked once per tick, before it runs: whether its usage should carry the isolate's heap (a V8 call). */
  wantsHeap(): boolean;
  /**
   * Called once when the tick settles: its `outcome`, or the `error` the runner rejects with.
   * `started` is `performance.now()` when the runner took the tick; `usage` what the sandbox
   * measured, when it ran.
   */
  settled(bundle: RunnableBundle, input: TickInput, started: number, outcome: TickOutcome | undefined, error: unknown, usage: TickUsage | undefined): void;
}
