/**
 * The shapes every path between a host and tenant code shares: JSON data, what one tick of a
 * tenant node produced, and a node's self-description. Types only.
 *
 * @module
 */
import type { GuestLogLine } from './guest-log.js';

/** JSON-safe value: what crosses the sandbox boundary. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type { GuestLogLine };

/**
 * A blackboard copy as JSON texts, key by key: what the sandbox sends to a tenant's isolate. The
 * sandbox remembers what it sent last for each {@link source} and sends only what changed.
 */
export interface BlackboardTexts {
  /** The host blackboard the copy was taken from: the identity the sandbox keys what it sent by (held weakly). */
  readonly source: object;
  /** The keys copied, in order. */
  readonly keys: readonly string[];
  /** `JSON.stringify(key)` of each key, same order. */
  readonly keyTexts: readonly string[];
  /** The JSON text of each key's value, same order (the same string object while a value is unchanged). */
  readonly texts: readonly string[];
  /** Length of the whole copy's JSON text, in characters. */
  readonly bytes: number;
  /** The whole copy as one JSON object text. */
  readonly json: string;
}

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

/** A node's self-description, read by running its bundle once in a sandbox at publish time. */
export interface NodeMetadata {
  /** Registry category (btree NodeMetadata.category). Tenant nodes are leaves. */
  category: 'action' | 'condition';
  description?: string;
  /** btree PortDefinition list (metadata only). */
  ports: Array<{
    name: string;
    type: 'input' | 'output' | 'inout';
    description?: string;
    defaultValue?: unknown;
    required?: boolean;
  }>;
  /** JSON Schema (draft 2020-12) of the node's props, or `undefined` when the node declares none. */
  propsSchema?: Record<string, unknown>;
}
