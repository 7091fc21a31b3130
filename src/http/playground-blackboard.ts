/**
 * The playground's blackboard: the sample the caller sent, behind the host-blackboard interface the
 * binding's own code reads and writes (`collectScriptInputs`, `tickWithBlackboard`). Running the
 * playground through that code, rather than beside it, means a script sees the variables and a node
 * the copy, the size cap and the write checks it would see in a tree. It records what the tick
 * applied, which is what the playground answers with.
 *
 * @module
 */
import type { HostBlackboard } from '../binding-core/host-btree.js';
import type { JsonValue } from '../binding-core/types.js';

/** A blackboard over a JSON object that records the writes and deletes applied to it. */
export class SampleBlackboard implements HostBlackboard {
  readonly #values = new Map<string, unknown>();
  readonly #writes = new Map<string, unknown>();
  readonly #deletes = new Set<string>();

  /** `sample`: the request's JSON object (own keys only; `__proto__` is a key like any other). */
  constructor(sample: Readonly<Record<string, unknown>>) {
    for (const key of Object.keys(sample)) this.#values.set(key, sample[key]);
  }

  get(key: string): unknown {
    return this.#values.get(key);
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  keys(): string[] {
    return [...this.#values.keys()];
  }

  set(key: string, value: unknown): void {
    this.#values.set(key, value);
    this.#writes.set(key, value);
    this.#deletes.delete(key);
  }

  delete(key: string): void {
    this.#values.delete(key);
    this.#writes.delete(key);
    this.#deletes.add(key);
  }

  toJSON(): Record<string, unknown> {
    return toRecord(this.#values);
  }

  /** What was set (the last value of each key) and deleted, in order. */
  changes(): { writes: Record<string, JsonValue>; deletes: string[] } {
    return { writes: toRecord(this.#writes) as Record<string, JsonValue>, deletes: [...this.#deletes] };
  }
}

/** A plain object of the entries, with `__proto__` as an own key (never a prototype). */
function toRecord(entries: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}
