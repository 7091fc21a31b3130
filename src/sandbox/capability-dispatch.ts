/**
 * The host capabilities a guest calls (`proxyActivities` methods, `sleep`): the types hosts
 * implement, and the dispatch of one tick's calls — limits checked, arguments parsed as untrusted
 * JSON, results serialised and capped, each settled call queued for the guest's next `resume`.
 * @module
 */
import { Breach, capabilityErrorMessage } from './guest-errors.js';
import type { SandboxLimits } from './limits.js';
import { parseGuestJson } from './safe-json.js';
import type { TickState } from './tick-state.js';
import type { GuestIdentity, JsonValue } from './types.js';

/** What a capability receives besides the guest's (copied) arguments. */
export interface CapabilityContext extends GuestIdentity {
  /** Aborted when the tick ends (done, failed, timed out or cancelled). */
  signal: AbortSignal;
}

/** A host function the guest may call by name. Arguments and result cross as JSON copies. */
export type Capability = (ctx: CapabilityContext, ...args: JsonValue[]) => unknown;

/** Finds the capability a tenant may call under `name`, or `undefined`. */
export type CapabilityLookup = (name: string) => Capability | undefined;

/** A call the guest reported in a `wait` answer: [call id, name, arguments as JSON]. */
export type GuestCall = [number, string, string];

/** A settled call as the guest's `resume` takes it: [call id, ok, result JSON or error message]. */
export type SettledCall = [number, boolean, string];

const CAPABILITY_NAME = /^[A-Za-z_$][\w$]{0,63}$/;

/**
 * A capability's failure as the guest is told it: the message alone (see capabilityErrorMessage).
 * What a capability proxied from another thread or process throws when the host's call failed.
 */
export class CapabilityRejection extends Error {
  override readonly name = 'CapabilityRejection';
}

/**
 * A capability result that is already JSON text (`''` for `undefined`): what a capability proxied
 * from another thread or process returns, so the host's serialisation is used as it is instead of
 * being parsed and serialised again. Internal: hosts return plain values.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** The capability calls of one tick, from the guest's `wait` answers to its `resume`. */
export class CapabilityCalls {
  private readonly inflight = new Set<number>();
  private readonly settled: SettledCall[] = [];
  private made = 0;
  /** Set when a call's result broke a limit after the call settled: the tick ends with it. */
  late: Breach | undefined;

  constructor(
    private readonly tick: TickState,
    private readonly limits: SandboxLimits,
    private readonly lookup: CapabilityLookup,
    /** Aborted when the tick ends; handed to every capability. */
    private readonly signal: AbortSignal,
  ) {}

  /** Starts the calls of one `wait` answer. Throws a {@link Breach} when one breaks a limit. */
  start(calls: GuestCall[]): void {
    const L = this.limits;
    const run = this.tick;
    const who = run.who;
    const { inflight, settled } = this;
    for (const [id, name, args] of calls) {
      if (inflight.size >= L.concurrentCapabilityCalls) throw new Breach('concurrentCapabilityCalls');
      if (++this.made > L.capabilityCallsPerTick) throw new Breach('capabilityCallsPerTick');
      if (typeof args !== 'string' || args.length > L.capabilityArgBytes) throw new Breach('capabilityArgBytes', name);
      inflight.add(id);
      const done = (ok: boolean, payload: string): void => {
        if (!inflight.delete(id)) return;
        settled.push([id, ok, payload]);
        run.wake();
      };
      if (name === '$sleep') {
        const ms = Number((JSON.parse(args) as unknown[])[0]);
        run.timer(() => done(true, ''), Math.max(0, Math.min(Number.isFinite(ms) ? ms : 0, run.wallLeft() + 1)));
        continue;
      }
      const cap = typeof name === 'string' && CAPABILITY_NAME.test(name) ? this.lookup(name) : undefined;
      if (!cap) {
        done(false, `capability ${JSON.stringify(String(name))} is not available to tenant ${who.tenantId}`);
        continue;
      }
      const ctx: CapabilityContext = { tenantId: who.tenantId, node: who.node, version: who.version, signal: this.signal };
      void Promise.resolve()
        .then(() => {
          const parsed = parseGuestJson(args);
          return cap(ctx, ...(Array.isArray(parsed) ? (parsed as JsonValue[]) : []));
        })
        .then(
          (value) => {
            const text = value instanceof JsonText ? value.text : capabilityResultText(value);
            if (text === undefined) return done(false, `capability ${name} returned a value that is not JSON-serializable`);
            if (text.length > L.capabilityResultBytes) {
              this.late ??= new Breach('capabilityResultBytes', name);
              run.wake();
              return;
            }
            done(true, text);
          },
          (err: unknown) => done(false, capabilityErrorMessage(err)),
        );
    }
  }

  /** True when no call is in flight and none has settled: the guest waits for something nothing can resolve. */
  get idle(): boolean {
    return this.inflight.size === 0 && this.settled.length === 0;
  }

  /** True when at least one call has settled since the last {@link takeSettled}. */
  get hasSettled(): boolean {
    return this.settled.length > 0;
  }

  /** The calls settled so far, for the guest's `resume` (removed from here). */
  takeSettled(): SettledCall[] {
    return this.settled.splice(0);
  }
}

/** A capability's result as the JSON text the guest receives (`''` for `undefined`), or `undefined` when JSON cannot carry it. */
export function capabilityResultText(value: unknown): string | undefined {
  try {
    return value === undefined ? '' : (JSON.stringify(value) ?? '');
  } catch {
    return undefined;
  }
}
