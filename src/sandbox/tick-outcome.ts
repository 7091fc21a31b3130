/**
 * Turns the guest's final `poll` answer into a {@link TickOutcome} (or throws the breach the guest
 * reported). The answer is untrusted text: writes and logs are parsed with `__proto__` dropped,
 * held to their caps again, reserved blackboard keys refused, and error stacks mapped back onto
 * the tenant's TypeScript.
 * @module
 */
import { isReservedBlackboardKey } from '../binding-core/reserved-keys.js';
import type { CachedBundle, CompiledBundleCache } from './compiled-bundle-cache.js';
import { Breach, guestFrames } from './guest-errors.js';
import type { SandboxLimits } from './limits.js';
import { parseGuestJson } from './safe-json.js';
import { mapStack } from './stack-trace.js';
import type { TickState } from './tick-state.js';
import type { GuestIdentity, GuestLogLine, JsonValue, TickOutcome } from './types.js';

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);


/** Splits a NUL-separated poll answer into `n` fields; the last one keeps any further NULs. */
export function fields(s: string, n: number): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < n - 1; i++) {
    const at = s.indexOf('\0', from);
    if (at < 0) break;
    out.push(s.slice(from, at));
    from = at + 1;
  }
  out.push(s.slice(from));
  return out;
}

/** A FAILURE outcome with no writes. */
export function failure(error: string, logs: GuestLogLine[] = []): TickOutcome {
  return { status: 'FAILURE', writes: {}, deletes: [], error, logs };
}

/** The guest's log lines from their JSON, held to the log caps again (the guest is not trusted to). */
export function parseLogs(json: string | undefined, L: SandboxLimits): GuestLogLine[] {
  if (!json) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const out: GuestLogLine[] = [];
  let bytes = 0;
  for (const item of raw.slice(0, L.logLines)) {
    if (!Array.isArray(item) || typeof item[1] !== 'string') continue;
    const level = LEVELS.has(item[0]) ? (item[0] as GuestLogLine['level']) : 'info';
    const message = item[1].slice(0, L.logLineBytes + 32);
    bytes += message.length;
    if (bytes > L.logBytes) break;
    out.push({ level, message });
  }
  return out;
}

/**
 * Turns a final `poll` answer (`done`, `fail` or `breach`, NUL-separated) into an outcome, or throws
 * the {@link Breach} the guest reported (with its logs kept on `tick`).
 */
export function outcomeOfAnswer(r: string, entry: CachedBundle, tick: TickState, limits: SandboxLimits, bundles: CompiledBundleCache): TickOutcome {
  const L = limits;
  const who = tick.who;
  if (r.startsWith('done')) return doneOutcome(fields(r, 6), entry, who, tick, limits, bundles);
  if (r.startsWith('fail')) {
    const [, , logs, message] = fields(r, 4);
    return failure(`${who.node}@${who.version}: ${message}`, parseLogs(logs, L));
  }
  if (r.startsWith('breach')) {
    const [, limit = 'unknown', logs, detail] = fields(r, 4);
    tick.logs = parseLogs(logs, L);
    throw new Breach(limit, detail || undefined);
  }
  return failure(`${who.node}@${who.version}: the sandbox lost track of the tick`);
}

function doneOutcome(r: string[], entry: CachedBundle, who: GuestIdentity, tick: TickState, limits: SandboxLimits, bundles: CompiledBundleCache): TickOutcome {
  const L = limits;
  const [, status, writesJson = '{}', deletesJson = '[]', logsJson = '[]', error = ''] = r;
  const logs = logsJson === '[]' ? [] : parseLogs(logsJson, L);
  if (status !== 'SUCCESS' && status !== 'FAILURE' && status !== 'RUNNING') {
    return failure(`${who.node}@${who.version} returned an invalid status`, logs);
  }
  if (writesJson.length > L.writesOutBytes + 2) throw new Breach('writesOutBytes');
  let writes: Record<string, JsonValue>;
  try {
    writes = parseGuestJson(writesJson) as Record<string, JsonValue>;
  } catch (e) {
    // e.g. nesting too deep for the host's reviver: refuse rather than throw in the host.
    return failure(`${who.node}@${who.version} produced writes the host cannot read: ${e instanceof Error ? e.message : String(e)}`, logs);
  }
  if (writes === null || typeof writes !== 'object' || Array.isArray(writes)) return failure(`${who.node}@${who.version} produced malformed writes`, logs);
  const deletes = deletesJson === '[]' ? [] : (JSON.parse(deletesJson) as unknown[]).filter((k): k is string => typeof k === 'string');
  // The binding's rule (binding-core/reserved-keys.ts), all or nothing: a reserved key written or deleted fails the tick.
  for (const k of [...Object.keys(writes), ...deletes]) {
    if (isReservedBlackboardKey(k)) return failure(`${who.node}@${who.version}: blackboard key ${JSON.stringify(k)} is reserved`, logs);
  }
  const out: TickOutcome = { status, writes, deletes, logs };
  if (error) out.error = mapStack(guestFrames(error), bundles.sourceMapOf(entry), tick.factory?.map);
  return out;
}
