/**
 * Guest output on its way to the host's logger: the one rule for every kind of tenant code
 * (custom nodes in isolated-vm, `JavaScriptInterpreter`, `PythonInterpreter`), in process and in the
 * Temporal workflow. It imports nothing, so every path can use it.
 *
 * - **Escaping**: a guest line must stay one line that cannot pass for the host's own. Line breaks
 *   (`\n`, `\r`, U+2028, U+2029, NEL), terminal escapes (ESC and the other C0/C1 controls, DEL) and
 *   bidirectional-text controls (which reorder what a terminal shows) are written as `\uXXXX`.
 * - **Tags**: who wrote the line travels as fields set by the host (`tenantId`, `node`, `version` or
 *   `nodeId`, `source: 'guest'`), never parsed from the text; a guest can print `tenant=victim` but
 *   cannot change the fields, and the text it prints always follows the host's own prefix.
 * - **Rate**: a token bucket per tenant, shared by all of that tenant's nodes and scripts that go
 *   through one forwarder; lines over the rate are counted and reported once the bucket refills.
 *
 * @module
 */

/** Where guest lines go: the host's logger, `(message, fields)` at four levels. */
export interface GuestLogSink {
  debug(message: string, fields: Record<string, unknown>): void;
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

/** One line of guest output. */
export interface GuestLogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** Who wrote the lines. Set by the host, never by the guest. */
export interface GuestLogTags {
  tenantId?: string;
  /** Node type (custom node name, or `JavaScriptInterpreter` / `PythonInterpreter`). */
  node: string;
  /** Custom node version. */
  version?: string;
  /** Node id in the tree (interpreter nodes). */
  nodeId?: string;
}

/** Options of one {@link GuestLogForwarder.forward} call. */
export interface ForwardOptions {
  /** Lines per second per tenant; the rest are counted and dropped. */
  perSecond: number;
  /** Text put before each line (e.g. `[PythonInterpreter:stats]`); escaped like the line. */
  prefix?: string;
}

/**
 * Line breaks, terminal escapes, other C0/C1 controls and DEL, and the bidirectional-text
 * controls (ALM, LRM, RLM, LRE…RLO, LRI…PDI).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Escapes every character a guest could use to forge or hide host log lines as `\uXXXX`, so one
 * guest line stays one line in a plain-text log.
 *
 * @example
 * ```ts
 * escapeLogLine('ok\n[ERROR] tenant=victim'); // 'ok\\u000a[ERROR] tenant=victim'
 * ```
 */
export function escapeLogLine(message: string): string {
  return message.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface Bucket {
  tokens: number;
  at: number;
  dropped: number;
}

/** Most tenants whose buckets are remembered; the oldest is forgotten past it. */
const MAX_BUCKETS = 10_000;
/** Bucket key of lines forwarded without a tenant (a host that runs scripts outside any tenant). */
const NO_TENANT = '\u0000no-tenant';

/**
 * Per-tenant token buckets in front of the host's logger. One instance per host process part
 * (the `PluginHost` shares one between custom nodes and interpreters), so a tenant gets one budget.
 */
export class GuestLogForwarder {
  readonly #buckets = new Map<string, Bucket>();
  readonly #sink: GuestLogSink | undefined;
  readonly #now: () => number;

  /** `sink` undefined: every line is dropped (a host without a logger). */
  constructor(sink: GuestLogSink | undefined, now: () => number = Date.now) {
    this.#sink = sink;
    this.#now = now;
  }

  /** Escapes, tags and rate-limits `lines`, then hands them to the sink. */
  forward(tags: GuestLogTags, lines: readonly GuestLogLine[], options: ForwardOptions): void {
    const sink = this.#sink;
    if (!sink || lines.length === 0) return;
    const { perSecond } = options;
    const key = tags.tenantId ?? NO_TENANT;
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: perSecond, at: now, dropped: 0 };
      this.#buckets.set(key, b);
      if (this.#buckets.size > MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value as string);
    }
    b.tokens = Math.min(perSecond, b.tokens + (Math.max(0, now - b.at) / 1000) * perSecond);
    b.at = now;
    const fields = guestFields(tags);
    if (b.dropped > 0 && b.tokens >= 1) {
      b.tokens -= 1;
      sink.warn(`${b.dropped} guest log lines were dropped by the rate limit`, { ...fields, dropped: b.dropped });
      b.dropped = 0;
    }
    const prefix = options.prefix === undefined ? '' : `${options.prefix} `;
    for (const line of lines) {
      if (b.tokens < 1) {
        b.dropped++;
        continue;
      }
      b.tokens -= 1;
      sink[line.level](escapeLogLine(prefix + line.message), fields);
    }
  }
}

function guestFields(tags: GuestLogTags): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (tags.tenantId !== undefined) fields.tenantId = tags.tenantId;
  fields.node = tags.node;
  if (tags.version !== undefined) fields.version = tags.version;
  if (tags.nodeId !== undefined) fields.nodeId = tags.nodeId;
  fields.source = 'guest';
  return fields;
}
