/**
 * Sandbox limits: what one tick (or one `inspect`) of a tenant node may consume.
 *
 * Every limit is enforced, each pinned by a hazard test (test/sandbox/hazards.test.ts). How loose
 * each one really is, is written down in docs/security.md.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { GuestIdentity } from './types.js';

/** Limits of one tick. Host-wide defaults, overridable per tenant. */
export interface SandboxLimits {
  /** Wall-clock time of one tick, including module evaluation and awaited capabilities (ms). */
  wallTimeMs: number;
  /** CPU time the isolate may spend on one tick (ms). */
  cpuTimeMs: number;
  /** Heap of the tenant's isolate (MiB, ≥ 8; ArrayBuffers count). Breaking it disposes the isolate. */
  memoryMb: number;
  /** JSON size of the blackboard copy handed to the guest (UTF-16 code units ≈ bytes). */
  blackboardInBytes: number;
  /** JSON size of the writes the guest hands back. */
  writesOutBytes: number;
  /** JSON size of the arguments of one capability call. */
  capabilityArgBytes: number;
  /** JSON size of the result of one capability call. */
  capabilityResultBytes: number;
  /** Capability calls in flight at once within one tick. */
  concurrentCapabilityCalls: number;
  /** Capability calls (and `sleep`s) per tick. */
  capabilityCallsPerTick: number;
  /** Console lines per tick. */
  logLines: number;
  /** Console bytes per tick. */
  logBytes: number;
  /** One console line is cut after this many characters (not a breach). */
  logLineBytes: number;
  /** Guest lines forwarded to the host logger per second per tenant (the rest are counted and dropped). */
  logRatePerSecond: number;
}

/** Defaults: generous enough for a node that calls a few capabilities, tight enough for a shared worker. */
export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  wallTimeMs: 10_000,
  cpuTimeMs: 100,
  memoryMb: 64,
  blackboardInBytes: 1024 * 1024,
  writesOutBytes: 1024 * 1024,
  capabilityArgBytes: 256 * 1024,
  capabilityResultBytes: 1024 * 1024,
  concurrentCapabilityCalls: 8,
  capabilityCallsPerTick: 64,
  logLines: 200,
  logBytes: 64 * 1024,
  logLineBytes: 4096,
  logRatePerSecond: 50,
});

/** Merges host and tenant overrides over the defaults and checks every value. */
export function resolveLimits(...layers: Array<Partial<SandboxLimits> | undefined>): SandboxLimits {
  const out: SandboxLimits = { ...DEFAULT_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (!(k in DEFAULT_LIMITS)) {
        throw new InvalidInputError('invalid sandbox limits', `unknown limit ${JSON.stringify(k)}`, {
          hint: `known limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}`,
        });
      }
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw new InvalidInputError('invalid sandbox limits', `${k} must be a positive number, got ${String(v)}`, { context: { limit: k } });
      }
      (out as unknown as Record<string, number>)[k] = v;
    }
  }
  if (out.memoryMb < 8) {
    throw new InvalidInputError('invalid sandbox limits', `memoryMb must be at least 8 (isolated-vm's minimum), got ${out.memoryMb}`, {
      context: { limit: 'memoryMb' },
    });
  }
  return out;
}

/** The least CPU and wall time one-time work in a tenant's isolate gets (see {@link setupLimits}). */
export const SETUP_BUDGET_MS = 1000;

/**
 * The limits of one-time work in a tenant's isolate — the runtime's setup, the SDK's first load and
 * the publish-time inspection (which compiles and evaluates the module for the first time in a fresh
 * isolate): at least {@link SETUP_BUDGET_MS} of CPU and wall time, or the tick's when higher. A tick's
 * CPU limit (100 ms by default) could otherwise be spent on a first compile on a loaded machine and
 * refuse a publish whose ticks fit easily; hostile top-level code is still stopped, a second later.
 */
export function setupLimits(limits: SandboxLimits): SandboxLimits {
  return { ...limits, cpuTimeMs: Math.max(SETUP_BUDGET_MS, limits.cpuTimeMs), wallTimeMs: Math.max(SETUP_BUDGET_MS, limits.wallTimeMs) };
}

/** Which limit a breach broke, as the guest runtime and the host report it. */
export type LimitName = keyof SandboxLimits | 'memory';

const DESCRIBE: Record<string, (l: SandboxLimits) => string> = {
  wallTimeMs: (l) => `${l.wallTimeMs} ms time`,
  cpuTimeMs: (l) => `${l.cpuTimeMs} ms CPU time`,
  memoryMb: (l) => `${l.memoryMb} MB memory`,
  memory: (l) => `${l.memoryMb} MB memory`,
  blackboardInBytes: (l) => `${l.blackboardInBytes}-byte blackboard input`,
  writesOutBytes: (l) => `${l.writesOutBytes}-byte blackboard writes`,
  capabilityArgBytes: (l) => `${l.capabilityArgBytes}-byte capability argument`,
  capabilityResultBytes: (l) => `${l.capabilityResultBytes}-byte capability result`,
  concurrentCapabilityCalls: (l) => `${l.concurrentCapabilityCalls} concurrent capability calls`,
  capabilityCallsPerTick: (l) => `${l.capabilityCallsPerTick} capability calls per tick`,
  logLines: (l) => `${l.logLines}-line log`,
  logBytes: (l) => `${l.logBytes}-byte log`,
};

/** `SendSlackMessage@1.0.0 exceeded its 50 ms time limit. HINT: …` */
export function limitMessage(who: GuestIdentity, limit: string, limits: SandboxLimits, detail?: string): string {
  const what = DESCRIBE[limit]?.(limits) ?? limit;
  const key = limit === 'memory' ? 'memoryMb' : limit;
  return (
    `${who.node}@${who.version} exceeded its ${what} limit${detail ? ` (${detail})` : ''}. ` +
    `HINT: make the node do less per tick, or ask the host operator to raise limits.${key} for tenant ${who.tenantId}`
  );
}
