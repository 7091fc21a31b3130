/**
 * What one tenant isolate holds of the host's blackboards, so that a tick sends only what changed.
 *
 * The guest runtime keeps, per *slot*, the JSON text of each key of one host blackboard (the
 * {@link BlackboardTexts.source}); a tick's blackboard argument names the slot and carries the keys
 * whose text changed and the keys that are gone. The guest parses a key's text only when the node
 * reads it, on every tick afresh, so a node that changes a value it read in place changes nothing
 * the next tick sees. This side mirrors what the guest holds and changes its mirror only once the
 * guest has taken a delta ({@link BlackboardDelta.commit}); a delta that may not have been taken
 * drops the slot on both sides ({@link BlackboardDelta.abort}), and the next tick sends it whole.
 *
 * What the guest holds counts against the tenant's memory limit, so it is bounded: at most
 * {@link MAX_SLOTS} blackboards and a budget of characters (the least recently used slots are
 * dropped first); a blackboard larger than the whole budget is sent whole every tick, as before.
 *
 * The argument's format (NUL-separated; JSON never contains a raw NUL):
 *   `{…}`                                  a whole blackboard, not kept (no slot)
 *   slot NUL drops NUL size NUL gone NUL changed
 * where `drops` are slots to forget (comma-separated), `size` the number of keys the slot holds
 * once the delta is applied (the guest checks it), `gone` a JSON array of keys to delete and
 * `changed` a JSON object mapping each changed key to its value's JSON text (a string).
 * @module
 */
import type { BlackboardTexts } from './types.js';

/** Blackboards one isolate keeps at most. */
export const MAX_SLOTS = 64;

/** One blackboard as the guest holds it: key → JSON text of its value. */
interface Slot {
  readonly id: number;
  readonly texts: Map<string, string>;
  /** Characters of keys and texts held. */
  bytes: number;
}

/** A tick's blackboard argument, and what to do once the call that carried it ends. */
export interface BlackboardDelta {
  /** The argument of `startTick`. */
  readonly arg: string;
  /** The guest has applied the delta (its `startTick` ran to its end): update the mirror. */
  commit(): void;
  /** The guest may or may not have applied it: forget the slot on both sides. */
  abort(): void;
}

const NOTHING_TO_DO: Pick<BlackboardDelta, 'commit' | 'abort'> = { commit() {}, abort() {} };

/** The host's mirror of the blackboards one isolate holds. */
export class BlackboardSync {
  readonly #slotOf = new WeakMap<object, Slot>();
  /** Slots in least-recently-used order. */
  readonly #lru = new Map<number, Slot>();
  #nextId = 1;
  #bytes = 0;
  /** Slots the guest must forget, sent with the next delta. */
  #drops: number[] = [];

  /** @param budget Characters of blackboard text the guest may hold in all (keys and values). */
  constructor(readonly budget: number) {}

  /** The `startTick` argument for `board`: a delta against what the guest holds, or the whole text. */
  delta(board: BlackboardTexts): BlackboardDelta {
    let slot = this.#slotOf.get(board.source);
    if (slot && this.#lru.get(slot.id) !== slot) slot = undefined; // dropped since
    if (board.bytes > this.budget) {
      // Too big to keep (perhaps it grew since it was kept): sent whole, and forgotten.
      if (slot) this.#forget(slot);
      return { arg: board.json, ...NOTHING_TO_DO };
    }
    if (slot) {
      this.#lru.delete(slot.id);
      this.#lru.set(slot.id, slot);
    } else {
      slot = { id: this.#nextId++, texts: new Map(), bytes: 0 };
      this.#slotOf.set(board.source, slot);
      this.#lru.set(slot.id, slot);
    }
    const { keys, keyTexts, texts } = board;
    const held = slot.texts;
    let changed = '{';
    const changes: number[] = [];
    let kept = 0;
    let bytes = slot.bytes;
    for (let i = 0; i < keys.length; i++) {
      const before = held.get(keys[i]!);
      if (before !== undefined) kept++;
      if (before === texts[i]) continue;
      changed += (changes.length ? ',' : '') + keyTexts[i] + ':' + JSON.stringify(texts[i]);
      changes.push(i);
      bytes += texts[i]!.length - (before === undefined ? -keys[i]!.length : before.length);
    }
    changed += '}';
    let gone: string[] | undefined;
    if (kept < held.size) {
      const live = new Set(keys);
      gone = [];
      for (const [key, text] of held) {
        if (live.has(key)) continue;
        gone.push(key);
        bytes -= key.length + text.length;
      }
    }
    this.#makeRoom(slot, bytes - slot.bytes);
    const drops = this.#drops;
    this.#drops = [];
    const arg = `${slot.id}\0${drops.join(',')}\0${keys.length}\0${gone ? JSON.stringify(gone) : '[]'}\0${changed}`;
    const target = slot;
    return {
      arg,
      commit: () => {
        if (this.#lru.get(target.id) !== target) return;
        for (const i of changes) held.set(keys[i]!, texts[i]!);
        if (gone) for (const key of gone) held.delete(key);
        this.#bytes += bytes - target.bytes;
        target.bytes = bytes;
      },
      abort: () => {
        this.#drops.push(...drops);
        this.#forget(target);
      },
    };
  }

  /** Drops least recently used slots (never `keep`) until `grow` more characters and one more slot fit. */
  #makeRoom(keep: Slot, grow: number): void {
    for (const slot of this.#lru.values()) {
      if (this.#bytes + grow <= this.budget && this.#lru.size <= MAX_SLOTS) return;
      if (slot !== keep) this.#forget(slot);
    }
  }

  #forget(slot: Slot): void {
    if (this.#lru.get(slot.id) !== slot) return;
    this.#lru.delete(slot.id);
    this.#bytes -= slot.bytes;
    this.#drops.push(slot.id);
  }

  /** Blackboards the guest holds, and their characters (for tests and stats). */
  get held(): { slots: number; bytes: number } {
    return { slots: this.#lru.size, bytes: this.#bytes };
  }
}
