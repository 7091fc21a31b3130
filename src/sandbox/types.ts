/**
 * The contract between the btree binding and the sandbox that runs tenant code.
 * @module
 */
import type { GuestLogLine } from '../binding-core/guest-log.js';
import type { NodeMetadata } from '../loader/types.js';

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

/** JSON-safe value: what crosses the sandbox boundary. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type { GuestLogLine };

/** What one tick of a guest node produced. */
export interface TickOutcome {
  status: 'SUCCESS' | 'FAILURE' | 'RUNNING';
  /** Keys the guest set on its blackboard copy, with their new values. */
  writes: Record<string, JsonValue>;
  /** Keys the guest deleted from its blackboard copy. */
  deletes: string[];
  /** The guest's `_lastError`, or why the run failed (limit breach, exception with TS stack). */
  error?: string;
  logs: GuestLogLine[];
  /** Set when the tick broke a sandbox limit (`wallTimeMs`, `cpuTimeMs`, `memory`, `writesOutBytes`, …). */
  limit?: string;
}

/** Input of one tick. */
export interface TickInput {
  /** The node's validated props (literal config values, JSON-safe). */
  props: Record<string, JsonValue>;
  /** A JSON-safe copy of the host blackboard. */
  blackboard: Record<string, JsonValue>;
  /** Aborts the run (e.g. Temporal activity cancellation). */
  signal?: AbortSignal;
  /** The host node's id (btree `config.id`); defaults to the node name. */
  nodeId?: string;
  /** The host node's name (btree `config.name`); defaults to `nodeId`. */
  nodeName?: string;
}

/** Runs tenant bundles. Implemented by the isolated-vm sandbox pool. */
export interface NodeRunner {
  /** Runs the bundle once to read its metadata (publish time). */
  inspect(bundle: RunnableBundle): Promise<NodeMetadata>;
  /** Runs one tick. Never throws for guest failures: they come back as `status: 'FAILURE'`. */
  tick(bundle: RunnableBundle, input: TickInput): Promise<TickOutcome>;
  dispose(): Promise<void>;
}
