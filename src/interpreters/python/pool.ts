/**
 * Warm sandboxes per tenant. A sandbox is only ever handed back to the tenant that used it; the
 * number of live sandboxes (busy + idle) is bounded across tenants, and when the bound is reached
 * the least recently used tenant's idle sandbox is disposed to make room.
 *
 * @module
 */
import { DisposedError, InvalidInputError } from '../../errors.js';

/** What the pool needs from a sandbox. */
export interface Poolable {
  /** False when the sandbox must not be reused. */
  readonly usable: boolean;
  dispose(): void;
}

/** Bounds of a {@link TenantPool}. */
export interface TenantPoolOptions {
  /** Idle sandboxes kept per tenant. */
  maxIdlePerTenant: number;
  /** Live sandboxes (busy + idle) across all tenants. */
  maxLive: number;
}

/** A bounded, per-tenant pool of warm sandboxes. */
export class TenantPool<T extends Poolable> {
  readonly #create: (tenant: string) => Promise<T>;
  readonly #options: TenantPoolOptions;
  /** Idle sandboxes by tenant; Map order is least → most recently used. */
  readonly #idle = new Map<string, T[]>();
  readonly #waiters: Array<() => void> = [];
  #live = 0;
  #closed = false;

  constructor(create: (tenant: string) => Promise<T>, options: TenantPoolOptions) {
    if (!(options.maxLive >= 1) || !(options.maxIdlePerTenant >= 0)) {
      throw new InvalidInputError('Python engine options rejected', 'the pool needs maxLive >= 1 and maxIdlePerTenant >= 0');
    }
    this.#create = create;
    this.#options = options;
  }

  /** Live sandboxes (busy and idle). */
  get live(): number {
    return this.#live;
  }

  /** Idle sandboxes of `tenant`. */
  idleCount(tenant: string): number {
    return this.#idle.get(tenant)?.length ?? 0;
  }

  /** A warm sandbox of `tenant`, or a new one. Waits when every live sandbox is busy. */
  async acquire(tenant: string): Promise<T> {
    for (;;) {
      if (this.#closed) throw new DisposedError('the Python interpreter pool');
      const warm = this.#takeIdle(tenant);
      if (warm) return warm;
      if (this.#live >= this.#options.maxLive) this.#evictLeastRecentlyUsed();
      if (this.#live < this.#options.maxLive) {
        this.#live++;
        try {
          return await this.#create(tenant);
        } catch (e) {
          this.#live--;
          this.#wakeOne();
          throw e;
        }
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Gives a sandbox back after a run; unusable ones are disposed. */
  release(tenant: string, sandbox: T): void {
    if (this.#closed || !sandbox.usable) {
      this.#drop(sandbox);
      return;
    }
    const list = this.#idle.get(tenant) ?? [];
    this.#idle.delete(tenant);
    list.push(sandbox);
    this.#idle.set(tenant, list); // most recently used now
    while (list.length > this.#options.maxIdlePerTenant) this.#drop(list.shift()!);
    if (!list.length) this.#idle.delete(tenant);
    this.#wakeOne();
  }

  /** Disposes every idle sandbox and refuses new work; busy ones are disposed when released. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) for (const s of list) this.#drop(s);
    this.#idle.clear();
    for (const w of this.#waiters.splice(0)) w();
  }

  #takeIdle(tenant: string): T | undefined {
    const list = this.#idle.get(tenant);
    while (list?.length) {
      const s = list.pop()!;
      if (s.usable) {
        if (!list.length) this.#idle.delete(tenant);
        return s;
      }
      this.#drop(s);
    }
    this.#idle.delete(tenant);
    return undefined;
  }

  #evictLeastRecentlyUsed(): void {
    const [tenant, list] = this.#idle.entries().next().value ?? [];
    if (!tenant || !list) return;
    this.#drop(list.shift()!);
    if (!list.length) this.#idle.delete(tenant);
  }

  #drop(sandbox: T): void {
    this.#live--;
    try {
      sandbox.dispose();
    } finally {
      this.#wakeOne();
    }
  }

  #wakeOne(): void {
    this.#waiters.shift()?.();
  }
}
