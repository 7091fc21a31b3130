/**
 * Forwards guest console lines to the host logger, tagged with tenant, node and version, and
 * rate-limited per tenant (token bucket): a tenant that floods its console cannot flood the
 * host's logs. Dropped lines are counted and reported once the bucket refills.
 * @module
 */
import type { GuestIdentity, GuestLogLine } from './types.js';

/** The host's logger. Each method receives the line and its tags. */
export interface SandboxLogger {
  debug(message: string, meta: Record<string, unknown>): void;
  info(message: string, meta: Record<string, unknown>): void;
  warn(message: string, meta: Record<string, unknown>): void;
  error(message: string, meta: Record<string, unknown>): void;
}

/** Line breaks, terminal escapes and other control characters a guest could use to forge host log lines. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Escapes control characters as `\uXXXX`, so that one guest line stays one line in a plain-text host log. */
export function escapeLogLine(message: string): string {
  return message.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface Bucket {
  tokens: number;
  at: number;
  dropped: number;
}

/** Per-tenant token buckets in front of a {@link SandboxLogger}. */
export class LogForwarder {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly logger: SandboxLogger | undefined) {}

  forward(who: GuestIdentity, lines: readonly GuestLogLine[], perSecond: number): void {
    if (!this.logger || lines.length === 0) return;
    const now = Date.now();
    let b = this.buckets.get(who.tenantId);
    if (!b) {
      b = { tokens: perSecond, at: now, dropped: 0 };
      this.buckets.set(who.tenantId, b);
      if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    b.tokens = Math.min(perSecond, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    const meta = { tenantId: who.tenantId, node: who.node, version: who.version, source: 'guest' };
    if (b.dropped > 0 && b.tokens >= 1) {
      b.tokens -= 1;
      this.logger.warn(`${b.dropped} guest log lines were dropped by the rate limit`, { ...meta, dropped: b.dropped });
      b.dropped = 0;
    }
    for (const line of lines) {
      if (b.tokens < 1) {
        b.dropped++;
        continue;
      }
      b.tokens -= 1;
      this.logger[line.level](escapeLogLine(line.message), meta);
    }
  }
}
