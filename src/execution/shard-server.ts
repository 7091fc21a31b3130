/**
 * The shard side of the execution tiers: what runs in a worker thread or a child process. It owns
 * a {@link SandboxPool} for the tenants the host places on it and answers the host's messages
 * (protocol.ts). Tenant code runs here, on this thread, exactly as it does in the `inline` mode —
 * the same pool, the same limits and checks — while the host's event loop stays free.
 *
 * Capabilities are host functions: each call a guest makes is sent to the host, which runs it and
 * sends back the JSON text; the pool's own dispatch still enforces every capability limit here.
 *
 * @module
 */
import { InternalError } from '../errors.js';
import { CapabilityRejection, JsonText, type Capability } from '../sandbox/capability-dispatch.js';
import { SandboxPool, type TenantSandboxOptions } from '../sandbox/pool.js';
import { failure } from '../sandbox/tick-outcome.js';
import type { JsonValue, TickInput, TickUsage } from '../sandbox/types.js';
import { runnableOf, type HostMessage, type ShardCounters, type ShardInit, type ShardMessage, type TenantSetup, type WireBundle } from './protocol.js';
import { toWireError } from './wire-errors.js';

/** How a shard talks to its host: a worker's `parentPort` or a child process's IPC channel. */
export interface ShardPort {
  post(message: ShardMessage): void;
  onMessage(handler: (message: HostMessage) => void): void;
  /**
   * Stops listening, so that the thread or process ends by itself once isolated-vm has finished
   * its own clean-up (terminating it mid-way can abort the whole process).
   */
  close(): void;
}

/** Time a disposed shard waits before it stops listening and ends (ms). */
const DISPOSE_SETTLE_MS = 100;

interface PendingCall {
  resolve(value: JsonText): void;
  reject(error: Error): void;
}

/** Serves the host's requests on `port` until the host disposes or kills this shard. */
export function serveShard(port: ShardPort, init: ShardInit): void {
  const tenants = new Map<string, TenantSandboxOptions>();
  const pool = new SandboxPool({
    maxIsolates: init.maxIsolates,
    memoryBudgetMb: init.memoryBudgetMb,
    ...(init.bundleCache ? { bundleCache: init.bundleCache } : {}),
    // Guest console lines come back with each outcome; the host forwards them (one rate per tenant).
    tenants: (tenantId) => tenants.get(tenantId),
  });
  const ticks = new Map<number, AbortController>();
  const calls = new Map<number, PendingCall>();
  let nextCall = 0;

  let rss: { at: number; bytes: number } | undefined;
  const counters = (): ShardCounters => {
    const c: ShardCounters = pool.counts();
    if (init.reportRss) {
      const now = Date.now();
      if (!rss || now - rss.at >= 50) rss = { at: now, bytes: process.memoryUsage.rss() };
      c.rssBytes = rss.bytes;
    }
    return c;
  };

  const capabilityProxy = (name: string): Capability => (ctx, ...args: JsonValue[]) =>
    new Promise<JsonText>((resolve, reject) => {
      const call = ++nextCall;
      calls.set(call, { resolve, reject });
      port.post({ type: 'capability', call, tenantId: ctx.tenantId, node: ctx.node, version: ctx.version, name, args });
      ctx.signal.addEventListener(
        'abort',
        () => {
          if (!calls.delete(call)) return;
          port.post({ type: 'capability-abort', call });
          reject(new CapabilityRejection(`capability ${name} was abandoned: the tick ended`));
        },
        { once: true },
      );
    });

  const learn = (tenantId: string, setup: TenantSetup | undefined): void => {
    if (!setup) {
      if (!tenants.has(tenantId)) throw new InternalError('sandbox shard failed', `the host sent a request for tenant ${tenantId} before its settings`);
      return;
    }
    const capabilities: Record<string, Capability> = {};
    for (const name of setup.capabilities) capabilities[name] = capabilityProxy(name);
    tenants.set(tenantId, { limits: setup.limits, capabilities });
  };

  /** The bundle with its code, or `undefined` after asking the host for the code. */
  const bundleOf = (id: number, b: WireBundle) => {
    if (b.code !== undefined) {
      const bundle = runnableOf(b, b.code, b.sourceMap);
      if (b.factory) pool.provideFactory(bundle, b.factory);
      return bundle;
    }
    const cached = pool.cachedBundle(b.sha256);
    if (cached) return runnableOf(b, cached.code, cached.sourceMap);
    port.post({ type: 'need-code', id });
    return undefined;
  };

  const fail = (id: number, e: unknown): void => port.post({ type: 'done', id, counters: counters(), error: toWireError(e) });

  const handle = async (m: HostMessage): Promise<void> => {
    switch (m.type) {
      case 'tick': {
        const bundle = bundleOf(m.id, m.bundle);
        if (!bundle) return;
        learn(bundle.tenantId, m.tenant);
        // Only a tick the host can cancel gets a signal (an AbortController per tick is measurable).
        const abort = m.abortable ? new AbortController() : undefined;
        if (abort) ticks.set(m.id, abort);
        let usage: TickUsage | undefined;
        const input: TickInput = {
          props: {},
          blackboard: {},
          blackboardJson: m.blackboardJson,
          propsJson: m.propsJson,
          ...(abort ? { signal: abort.signal } : {}),
          ...(m.nodeId !== undefined ? { nodeId: m.nodeId } : {}),
          ...(m.nodeName !== undefined ? { nodeName: m.nodeName } : {}),
          ...(m.usage ? { onUsage: (u: TickUsage) => (usage = u), ...(m.usageHeap === false ? { usageHeap: false } : {}) } : {}),
        };
        try {
          const outcome = await pool.tick(bundle, input);
          try {
            port.post({ type: 'done', id: m.id, counters: counters(), outcome, ...(usage ? { usage } : {}) });
          } catch (e) {
            // The outcome cannot be copied to the host (writes nested deeper than the structured
            // clone's stack allows): the tick fails, as it would had the writes been refused.
            const why = e instanceof Error ? e.message : String(e);
            const error = `${bundle.node}@${bundle.version} wrote blackboard values the host cannot receive (${why}). HINT: write shallower values`;
            port.post({ type: 'done', id: m.id, counters: counters(), outcome: failure(error, outcome.logs), ...(usage ? { usage } : {}) });
          }
        } finally {
          ticks.delete(m.id);
        }
        return;
      }
      case 'inspect': {
        const bundle = bundleOf(m.id, m.bundle);
        if (!bundle) return;
        learn(bundle.tenantId, m.tenant);
        const metadata = await pool.inspect(bundle);
        port.post({ type: 'done', id: m.id, counters: counters(), metadata });
        return;
      }
      case 'abort':
        ticks.get(m.id)?.abort();
        return;
      case 'capability-result': {
        const pending = calls.get(m.call);
        if (!pending) return;
        calls.delete(m.call);
        if (m.ok) pending.resolve(new JsonText(m.text));
        else pending.reject(new CapabilityRejection(m.text));
        return;
      }
      case 'evict':
        pool.evict(m.tenantId);
        port.post({ type: 'done', id: m.id, counters: counters() });
        return;
      case 'stats': {
        const s = pool.stats();
        port.post({ type: 'done', id: m.id, counters: counters(), stats: { heapBytes: s.heapBytes, bundleCache: s.bundleCache } });
        return;
      }
      case 'stall':
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, m.ms);
        return;
      case 'dispose':
        await pool.dispose();
        port.post({ type: 'done', id: m.id, counters: counters() });
        // isolated-vm finishes disposing isolates after dispose() returns; a thread that ends
        // meanwhile can abort the whole process (seen with isolated-vm 5–7 in worker threads).
        setTimeout(() => port.close(), DISPOSE_SETTLE_MS);
        return;
    }
  };

  port.onMessage((m) => {
    handle(m).catch((e: unknown) => {
      if ('id' in m) fail(m.id, e);
    });
  });
  port.post({ type: 'ready' });
}
