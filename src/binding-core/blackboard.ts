/**
 * What crosses between a host blackboard and a tenant node, on every path (in-process custom
 * nodes, the Temporal workflow's proxy nodes): a JSON-safe, size-capped copy goes in, the guest's
 * writes and deletes come back and are checked before they touch the host blackboard.
 *
 * Policy (docs/host-integration.md):
 * - **In**: every key visible on the blackboard (local and inherited, like `get`), except reserved
 *   keys. A value that is not plain JSON data — a function, a class instance (`Date`, `Map`, …), a
 *   Proxy, a getter, a cycle, `NaN`/`Infinity`, `undefined`, nesting deeper than 64 — is
 *   **skipped**: the key is left out of the copy entirely, never half-converted, and no getter of it
 *   runs. Object members whose value is `undefined` are left out, as `JSON.stringify` does. The
 *   copy's JSON text must fit `maxBytes`; a bigger blackboard fails the tick.
 * - **Out**: writes and deletes naming a reserved key, writes that are not JSON data and values
 *   with a nested `__proto__` key are **rejected**: the whole tick fails and nothing is applied.
 *   Values are copied again (no shared references with the runner).
 *
 * Pure: the Temporal workflow entry uses it.
 *
 * @module
 */
import type { HostBlackboard } from './host-btree.js';
import { checkJsonSafe, isJsonScalar, toJsonSafe } from './json-copy.js';
import { isReservedBlackboardKey } from './reserved-keys.js';
import type { BlackboardTexts, JsonValue, TickOutcome } from './types.js';

/**
 * The copy of a blackboard a guest gets, as JSON texts key by key ({@link BlackboardTexts}): the
 * sandbox sends an isolate only the texts that changed since it last saw this blackboard; the
 * whole text ({@link json}) and a detached object ({@link value}) are made only when asked for.
 */
export class GuestBlackboard implements BlackboardTexts {
  #json: string | undefined;
  #value: Record<string, JsonValue> | undefined;

  constructor(
    readonly source: object,
    readonly keys: readonly string[],
    readonly keyTexts: readonly string[],
    readonly texts: readonly string[],
    readonly bytes: number,
  ) {}

  /** The copy as one JSON object text. */
  get json(): string {
    if (this.#json === undefined) {
      let out = '{';
      for (let i = 0; i < this.keys.length; i++) out += (i ? ',' : '') + this.keyTexts[i] + ':' + this.texts[i];
      this.#json = out + '}';
    }
    return this.#json;
  }

  /** The copy as a detached object, parsed from {@link json} the first time it is read. */
  get value(): Record<string, JsonValue> {
    return (this.#value ??= JSON.parse(this.json) as Record<string, JsonValue>);
  }
}

/** The copy of a blackboard handed to a guest, or why there is none. */
export type BlackboardCopy = { ok: true; copy: GuestBlackboard; skipped: string[] } | { ok: false; message: string };

/** Options of {@link copyBlackboardForGuest}. */
export interface BlackboardCopyOptions {
  /** Cap on the copy's JSON text, in characters. */
  maxBytes: number;
  /** Detects Proxies so that none of their traps runs (`util.types.isProxy`; absent in the workflow). */
  isProxy?: (value: object) => boolean;
}

/** A key's texts as last made for one host blackboard. */
interface KeyTexts {
  /** The value the text was made of: reused while the key holds the same primitive. */
  value: unknown;
  keyText: string;
  text: string;
}

/**
 * Texts made per host blackboard, reused on its next copy for keys that still hold the same
 * primitive (a string, number, boolean or null cannot change in place). Objects are checked and
 * serialised on every copy: host code may have changed them in place. Weak: a blackboard that is
 * gone takes its texts with it.
 */
const textsOf = new WeakMap<object, Map<string, KeyTexts>>();

/**
 * The JSON-safe copy of `blackboard` a guest sees. Skipped keys are listed (for a debug log); a copy
 * whose JSON text would exceed `maxBytes` is refused, naming the key it was reached at. Values are
 * checked where they are ({@link checkJsonSafe}: no getter, Proxy trap or `toJSON` can pass) and
 * serialised at once; no object copy is made unless {@link GuestBlackboard.value} is read.
 *
 * @example
 * ```ts
 * const r = copyBlackboardForGuest(ctx.blackboard, { maxBytes: 1 << 20 });
 * if (r.ok) input.blackboard = r.copy.value;
 * ```
 */
export function copyBlackboardForGuest(blackboard: HostBlackboard, options: BlackboardCopyOptions): BlackboardCopy {
  let cache = textsOf.get(blackboard);
  if (!cache) textsOf.set(blackboard, (cache = new Map()));
  const walk = { undefinedMembers: 'omit' as const, ...(options.isProxy ? { isProxy: options.isProxy } : {}) };
  const keys: string[] = [];
  const keyTexts: string[] = [];
  const texts: string[] = [];
  let skipped: string[] | undefined;
  let bytes = 2;
  for (const key of blackboard.keys()) {
    if (isReservedBlackboardKey(key)) {
      (skipped ??= []).push(key);
      continue;
    }
    const value = blackboard.get(key);
    let entry = cache.get(key);
    if (!entry || entry.value !== value || (typeof value === 'object' && value !== null)) {
      if (!isJsonScalar(value)) {
        const checked = checkJsonSafe(value, { ...walk, root: key });
        if (!checked.ok) {
          (skipped ??= []).push(key);
          continue;
        }
      }
      const text = JSON.stringify(value);
      entry = { value, keyText: entry?.keyText ?? JSON.stringify(key), text };
      cache.set(key, entry);
    }
    bytes += entry.keyText.length + 1 + entry.text.length + (keys.length ? 1 : 0);
    if (bytes > options.maxBytes) return { ok: false, message: `reached at key ${JSON.stringify(key)}` };
    keys.push(key);
    keyTexts.push(entry.keyText);
    texts.push(entry.text);
  }
  if (cache.size > 2 * keys.length + 16) pruneTexts(cache, keys);
  return { ok: true, copy: new GuestBlackboard(blackboard, keys, keyTexts, texts, bytes), skipped: skipped ?? [] };
}

/** Drops the texts of keys the blackboard no longer has. */
function pruneTexts(cache: Map<string, KeyTexts>, keys: readonly string[]): void {
  const live = new Set(keys);
  for (const key of cache.keys()) if (!live.has(key)) cache.delete(key);
}

/** Guest writes and deletes checked and copied, ready to apply. */
export type CheckedWrites =
  | { ok: true; writes: Array<[string, JsonValue]>; deletes: string[] }
  | { ok: false; message: string };

/**
 * Checks a tick's writes and deletes: reserved top-level keys, nested `__proto__` keys (an
 * `Object.assign` by host code would turn them into a prototype swap), and JSON-safety of values.
 * All or nothing: one bad entry refuses them all.
 */
export function checkGuestWrites(outcome: Pick<TickOutcome, 'writes' | 'deletes'>): CheckedWrites {
  const writes: Array<[string, JsonValue]> = [];
  const entries = outcome.writes && typeof outcome.writes === 'object' ? Object.entries(outcome.writes) : [];
  for (const [key, value] of entries) {
    if (isReservedBlackboardKey(key)) return { ok: false, message: `it wrote the reserved blackboard key ${JSON.stringify(key)}` };
    // One walk checks JSON-safety and nested `__proto__` keys together.
    const copy = toJsonSafe(value, { root: key, protoKeys: 'reject' });
    if (!copy.ok && copy.reason === 'reserved') return { ok: false, message: `it wrote a value with a nested "__proto__" key under ${JSON.stringify(key)}` };
    if (!copy.ok) return { ok: false, message: `it wrote a value that is not JSON data under ${JSON.stringify(key)} (${copy.message})` };
    writes.push([key, copy.value]);
  }
  const deletes: string[] = [];
  for (const key of Array.isArray(outcome.deletes) ? outcome.deletes : []) {
    if (typeof key !== 'string' || isReservedBlackboardKey(key)) return { ok: false, message: `it deleted the reserved blackboard key ${JSON.stringify(key)}` };
    deletes.push(key);
  }
  return { ok: true, writes, deletes };
}

/** Applies checked writes (first) and deletes to the host blackboard. */
export function applyGuestWrites(blackboard: HostBlackboard, checked: { writes: Array<[string, JsonValue]>; deletes: string[] }): void {
  for (const [key, value] of checked.writes) blackboard.set(key, value);
  for (const key of checked.deletes) blackboard.delete(key);
}

/** Default cap on the blackboard copy a guest receives, in characters of JSON text (1 MiB). */
export const DEFAULT_MAX_BLACKBOARD_BYTES = 1024 * 1024;

/** Options of {@link tickWithBlackboard}. */
export interface GuestTickOptions extends Partial<BlackboardCopyOptions> {
  /** `Name@version`, for messages. */
  label: string;
  /** Told which keys were left out of the copy (not JSON data, or reserved), e.g. for a debug log. */
  onSkipped?: (keys: string[]) => void;
}

/** What {@link tickWithBlackboard} did: the status to return, and why it failed. */
export interface GuestTickResult {
  status: 'SUCCESS' | 'FAILURE' | 'RUNNING';
  /** Set with FAILURE: the message for btree's `lastError`. */
  error?: string;
  /** The guest's outcome, when it ran. */
  outcome?: TickOutcome;
}

/**
 * One tick of a tenant node against a host blackboard, the same on every path: copy the blackboard
 * (capped), run the guest on the copy (`run`: the sandbox in process, an activity under Temporal),
 * check its writes and deletes all-or-nothing, apply them, and map its status. `run` may throw;
 * the error propagates (the caller knows what a cancellation is).
 *
 * @example
 * ```ts
 * const r = await tickWithBlackboard(ctx.blackboard, { label: 'Notify@1.0.0' }, (copy) => runner.tick(bundle, { props, blackboard: copy.value }));
 * if (r.status === 'FAILURE') node._lastError = r.error;
 * ```
 */
export async function tickWithBlackboard(
  blackboard: HostBlackboard,
  options: GuestTickOptions,
  run: (copy: GuestBlackboard) => Promise<TickOutcome>,
): Promise<GuestTickResult> {
  const { label } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLACKBOARD_BYTES;
  const copy = copyBlackboardForGuest(blackboard, { maxBytes, ...(options.isProxy ? { isProxy: options.isProxy } : {}) });
  if (!copy.ok) {
    return {
      status: 'FAILURE',
      error: `${label} exceeded its ${maxBytes}-byte blackboard input limit (${copy.message}). HINT: keep large data out of the blackboard, or ask the host operator to raise limits.blackboardInBytes`,
    };
  }
  if (copy.skipped.length > 0) options.onSkipped?.(copy.skipped);
  const outcome = await run(copy.copy);
  const checked = checkGuestWrites(outcome);
  if (!checked.ok) return { status: 'FAILURE', error: `${label} failed: ${checked.message}; none of its writes were applied`, outcome };
  applyGuestWrites(blackboard, checked);
  switch (outcome.status) {
    case 'SUCCESS':
    case 'RUNNING':
      return { status: outcome.status, outcome };
    case 'FAILURE':
      return { status: 'FAILURE', error: outcome.error ?? `${label} returned FAILURE`, outcome };
    default:
      return { status: 'FAILURE', error: `${label} returned an unknown status ${JSON.stringify(String(outcome.status))}`, outcome };
  }
}
