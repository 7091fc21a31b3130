/**
 * Concurrency slots of one scope, in this worker process: at most `limit` runs at once, at most
 * `queue` more waiting (first come, first served) for at most `timeoutMs` each; the next one is
 * refused at once. The limit is read on every call, so a changed setting applies to the next run.
 *
 * @module
 */

/** Why a run got no slot. */
export type SlotRefusal = { reason: 'full' | 'timeout'; retryAfterMs: number };

interface Waiter {
  resolve(granted: boolean): void;
  settled: boolean;
}

/** The slots of one scope. `acquire` answers `true` (a slot is held: call `release` once) or a refusal. */
export class ConcurrencySlots {
  #inFlight = 0;
  readonly #waiting: Waiter[] = [];
  /** Recent run time, to tell a refused run roughly when a slot frees up. */
  #averageRunMs = 100;

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Takes a slot now (`true`), or queues, or refuses. */
  acquire(limit: number, queue: number, timeoutMs: number, signal: AbortSignal | undefined): true | SlotRefusal | Promise<true | SlotRefusal> {
    if (this.#inFlight < limit && this.#waiting.length === 0) {
      this.#inFlight++;
      return true;
    }
    if (this.#waiting.length >= queue) return { reason: 'full', retryAfterMs: this.#averageRunMs };
    return new Promise<true | SlotRefusal>((resolve, reject) => {
      const waiter: Waiter = {
        settled: false,
        resolve: (granted) => {
          if (waiter.settled) return;
          waiter.settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (granted) resolve(true);
          else resolve({ reason: 'timeout', retryAfterMs: this.#averageRunMs });
        },
      };
      const drop = (): void => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
      };
      const timer = setTimeout(() => {
        drop();
        waiter.resolve(false);
      }, timeoutMs);
      const onAbort = (): void => {
        if (waiter.settled) return;
        waiter.settled = true;
        clearTimeout(timer);
        drop();
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted while waiting for a concurrency slot'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
      this.#limitForWake = limit;
    });
  }

  #limitForWake = 1;

  /** Gives a slot back (once per granted `acquire`); the first waiter gets it. */
  release(runMs: number): void {
    this.#averageRunMs = Math.max(1, Math.round(this.#averageRunMs * 0.8 + runMs * 0.2));
    this.#inFlight--;
    while (this.#waiting.length > 0 && this.#inFlight < this.#limitForWake) {
      const next = this.#waiting.shift()!;
      this.#inFlight++;
      next.resolve(true);
    }
  }
}
