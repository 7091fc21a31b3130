/**
 * The host side of one shard: starts it (and starts it again after it died), sends requests and
 * matches the replies, runs the capability calls its guests make, keeps its counters, and — in
 * the process tier — kills it when a tick overruns or when it holds too much memory.
 *
 * @module
 */
import { capabilityErrorMessage } from '../sandbox/guest-errors.js';
import { capabilityResultText, type Capability } from '../sandbox/capability-dispatch.js';
import type { NodeMetadata, TickOutcome } from '../binding-core/types.js';
import { limitMessage, type SandboxLimits } from '../sandbox/limits.js';
import { failure } from '../sandbox/tick-outcome.js';
import type { GuestIdentity, RunnableBundle, TickUsage } from '../sandbox/types.js';
import { InternalError, LimitExceededError } from '../errors.js';
import type { HostMessage, ShardCounters, ShardInit, ShardMessage, TenantSetup, WireBundle } from './protocol.js';
import { processShard, threadShard, type ShardTransport } from './shard-transport.js';
import { fromWireError } from './wire-errors.js';

/** What a shard asks the runner that owns it. */
export interface ShardOwner {
  /** The limits and capability names of a tenant (sent to the shard once). */
  setupOf(tenantId: string): TenantSetup;
  /** The capability `name` of a tenant, run on the host when its guest calls it. */
  capability(tenantId: string, name: string): Capability | undefined;
}

/** Sizing and behaviour of a shard. */
export interface ShardOptions {
  kind: 'thread' | 'process';
  init: ShardInit;
  /** Process tier: time after a tick's wall limit before its process is killed (ms). */
  killGraceMs: number;
  /** Process tier: resident memory beyond which the process is restarted once idle (bytes). */
  processMemoryBytes: number;
}

/** A reply to a request. */
type Done = Extract<ShardMessage, { type: 'done' }>;

interface Request {
  message: HostMessage & { id: number };
  /** The bundle of a tick or inspection, to send its code again if the shard asks. */
  bundle?: RunnableBundle;
  /** The tick's wall limit, for the process tier's deadline. */
  wallTimeMs: number | undefined;
  resolve(reply: Done): void;
  reject(error: Error): void;
  /** Ends the request when its shard dies. */
  lost(why: string, overran: boolean): void;
  deadline?: ReturnType<typeof setTimeout>;
}

/** Why a tick whose process was killed for overrunning failed. */
function overrunMessage(who: GuestIdentity, limits: SandboxLimits): string {
  return limitMessage(who, 'wallTimeMs', limits, 'it did not stop at its limit, so its sandbox process was killed');
}

function withCode(b: RunnableBundle): WireBundle {
  return { tenantId: b.tenantId, node: b.node, version: b.version, sha256: b.sha256, code: b.code, ...(b.sourceMap !== undefined ? { sourceMap: b.sourceMap } : {}) };
}

/** How long a disposed shard may take to end by itself before it is killed (ms). */
const EXIT_GRACE_MS = 5_000;

/** The process tier's cap on a shard process's own Node heap (it holds texts and book-keeping; isolates have their own limits). */
const PROCESS_HEAP_MB = 256;

const ZERO: ShardCounters = { isolatesCreated: 0, isolatesDisposed: 0, liveIsolates: 0, ticks: 0, breaches: 0, budgetEvictions: 0, heldBytes: 0 };

/** One worker thread or child process running tenant isolates. */
export class Shard {
  private transport: ShardTransport | undefined;
  private ready = false;
  private readonly requests = new Map<number, Request>();
  /** Capability calls its guests are making on the host. */
  private readonly calls = new Map<number, AbortController>();
  /** Tenants whose settings, and bundles whose code, this incarnation has been sent. */
  private told = new Set<string>();
  private sent = new Set<string>();
  private nextId = 0;
  /** The counters of the running incarnation, as of its last reply. */
  counters: ShardCounters = { ...ZERO };
  /** What earlier incarnations counted (their isolates all died with them). */
  private readonly retired = { isolatesCreated: 0, ticks: 0, breaches: 0, budgetEvictions: 0, restarts: 0, overrunsKilled: 0 };
  /** The request whose tick overran and had this process killed. */
  private overran: number | undefined;
  /** Set while the process is drained before a restart (too much memory): new requests wait for it. */
  private draining: Promise<void> | undefined;
  private endDrain: (() => void) | undefined;
  private fatal: Error | undefined;
  private disposed = false;

  constructor(private readonly options: ShardOptions, private readonly owner: ShardOwner) {}

  /** True while its thread or process is running. */
  get running(): boolean {
    return this.transport !== undefined;
  }

  /** Requests in flight. */
  get load(): number {
    return this.requests.size;
  }

  /** Counters over every incarnation of this shard. */
  totals(): ShardCounters & { restarts: number; overrunsKilled: number } {
    const c = this.counters;
    const r = this.retired;
    return {
      isolatesCreated: r.isolatesCreated + c.isolatesCreated,
      isolatesDisposed: r.isolatesCreated + c.isolatesDisposed,
      liveIsolates: c.liveIsolates,
      ticks: r.ticks + c.ticks,
      breaches: r.breaches + c.breaches,
      budgetEvictions: r.budgetEvictions + c.budgetEvictions,
      heldBytes: c.heldBytes,
      ...(c.rssBytes !== undefined ? { rssBytes: c.rssBytes } : {}),
      restarts: r.restarts,
      overrunsKilled: r.overrunsKilled,
    };
  }

  /** Runs one tick here. Resolves with the reply (outcome and usage), never rejects for guest failures. */
  async tick(
    bundle: RunnableBundle,
    limits: SandboxLimits,
    fields: { propsJson: string; blackboardJson: string; nodeId?: string; nodeName?: string; usage: boolean },
    signal: AbortSignal | undefined,
  ): Promise<{ outcome: TickOutcome; usage?: TickUsage }> {
    if (this.draining) await this.draining;
    const id = ++this.nextId;
    const message = {
      type: 'tick' as const,
      id,
      bundle: this.wireBundle(bundle),
      ...this.setupFor(bundle.tenantId),
      blackboardJson: fields.blackboardJson,
      propsJson: fields.propsJson,
      ...(fields.nodeId !== undefined ? { nodeId: fields.nodeId } : {}),
      ...(fields.nodeName !== undefined ? { nodeName: fields.nodeName } : {}),
      usage: fields.usage,
      abortable: signal !== undefined,
    };
    const onAbort = (): void => this.transport?.post({ type: 'abort', id });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const reply = await new Promise<Done>((resolve, reject) => {
        this.send({
          message,
          bundle,
          wallTimeMs: limits.wallTimeMs,
          resolve,
          reject,
          lost: (why, overran) => {
            const outcome = overran
              ? { ...failure(overrunMessage(bundle, limits)), limit: 'wallTimeMs' }
              : failure(`${bundle.node}@${bundle.version} was stopped: its sandbox ${this.options.kind} ended (${why}). HINT: run the tick again`);
            resolve({ type: 'done', id, counters: this.counters, outcome });
          },
        });
      });
      if (reply.error) throw fromWireError(reply.error);
      if (!reply.outcome) throw new InternalError('sandbox shard failed', 'a tick reply carried no outcome');
      return { outcome: reply.outcome, ...(reply.usage ? { usage: reply.usage } : {}) };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Reads a bundle's metadata here. */
  async inspect(bundle: RunnableBundle, limits: SandboxLimits): Promise<NodeMetadata> {
    if (this.draining) await this.draining;
    const id = ++this.nextId;
    const reply = await new Promise<Done>((resolve, reject) => {
      this.send({
        message: { type: 'inspect', id, bundle: this.wireBundle(bundle), ...this.setupFor(bundle.tenantId) },
        bundle,
        wallTimeMs: limits.wallTimeMs,
        resolve,
        reject,
        lost: (why, overran) => {
          const context = { tenant: bundle.tenantId, node: bundle.node, version: bundle.version };
          reject(
            overran
              ? new LimitExceededError('wallTimeMs', 'inspect failed', overrunMessage(bundle, limits), { context })
              : new InternalError('inspect failed', `the sandbox shard ended (${why})`, { context, hint: 'inspect it again' }),
          );
        },
      });
    });
    if (reply.error) throw fromWireError(reply.error);
    return reply.metadata as NodeMetadata;
  }

  /** Disposes a tenant's isolate here (if this shard is running). */
  async evict(tenantId: string): Promise<void> {
    if (!this.transport) return;
    await this.control({ type: 'evict', id: ++this.nextId, tenantId });
  }

  /** Heap and bundle-cache figures of the running incarnation (zero when not running). */
  async poolStats(): Promise<{ heapBytes: number; bundleCache: { entries: number; bytes: number } }> {
    if (!this.transport) return { heapBytes: 0, bundleCache: { entries: 0, bytes: 0 } };
    const reply = await this.control({ type: 'stats', id: ++this.nextId });
    return reply.stats ?? { heapBytes: 0, bundleCache: { entries: 0, bytes: 0 } };
  }

  /**
   * Disposes its pool, then lets the thread or process end by itself (isolated-vm finishes its
   * clean-up first); it is killed only if it has not ended within {@link EXIT_GRACE_MS}.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const transport = this.transport;
    if (!transport) return;
    const timeout = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
    try {
      await Promise.race([this.control({ type: 'dispose', id: ++this.nextId }), timeout(EXIT_GRACE_MS)]);
    } catch {
      /* it is killed below if it does not end */
    }
    transport.hold(true);
    await Promise.race([transport.exited, timeout(EXIT_GRACE_MS)]);
    transport.kill();
    await transport.exited;
  }

  private control(message: Extract<HostMessage, { type: 'evict' | 'stats' | 'dispose' }>): Promise<Done> {
    return new Promise<Done>((resolve, reject) => {
      this.send({ message, wallTimeMs: undefined, resolve, reject, lost: (why) => reject(new InternalError('sandbox shard failed', `the shard ended (${why})`)) });
    });
  }

  private wireBundle(bundle: RunnableBundle): WireBundle {
    return this.sent.has(bundle.sha256) ? { tenantId: bundle.tenantId, node: bundle.node, version: bundle.version, sha256: bundle.sha256 } : withCode(bundle);
  }

  private setupFor(tenantId: string): { tenant?: TenantSetup } {
    return this.told.has(tenantId) ? {} : { tenant: this.owner.setupOf(tenantId) };
  }

  private send(request: Request): void {
    if (this.fatal) return request.reject(this.fatal);
    const transport = (this.transport ??= this.start());
    const m = request.message;
    this.requests.set(m.id, request);
    if (this.requests.size === 1) transport.hold(true);
    if ((m.type === 'tick' || m.type === 'inspect') && request.bundle) {
      this.told.add(request.bundle.tenantId);
      if (m.bundle.code !== undefined) this.remember(m.bundle.sha256);
      if (this.ready) this.arm(request);
    }
    transport.post(m);
  }

  private remember(sha256: string): void {
    // The shard's own cache may drop bundles; it then asks again (`need-code`). Bounded here too.
    if (this.sent.size >= 20_000) this.sent.clear();
    this.sent.add(sha256);
  }

  /** Process tier: kills the process when the tick has not answered by its wall limit plus the grace. */
  private arm(request: Request): void {
    if (this.options.kind !== 'process' || request.wallTimeMs === undefined || request.deadline) return;
    request.deadline = setTimeout(() => {
      if (!this.requests.has(request.message.id)) return;
      this.overran = request.message.id;
      this.retired.overrunsKilled++;
      this.transport?.kill();
    }, request.wallTimeMs + this.options.killGraceMs);
    request.deadline.unref?.();
  }

  private settle(id: number): Request | undefined {
    const request = this.requests.get(id);
    if (!request) return undefined;
    this.requests.delete(id);
    if (request.deadline) clearTimeout(request.deadline);
    if (this.requests.size === 0) this.idle();
    return request;
  }

  private idle(): void {
    this.transport?.hold(false);
    if (this.endDrain) this.transport?.kill();
  }

  private start(): ShardTransport {
    this.ready = false;
    const options = { init: this.options.init, ...(this.options.kind === 'process' ? { processHeapMb: PROCESS_HEAP_MB } : {}) };
    const events = { message: (m: ShardMessage) => this.onMessage(m), exit: (why: string) => this.onExit(transport, why) };
    const transport = this.options.kind === 'process' ? processShard(options, events) : threadShard(options, events);
    return transport;
  }

  private onMessage(m: ShardMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        for (const r of this.requests.values()) this.arm(r);
        return;
      case 'done': {
        this.counters = m.counters;
        this.settle(m.id)?.resolve(m);
        if (this.options.kind === 'process' && !this.draining && (m.counters.rssBytes ?? 0) > this.options.processMemoryBytes) this.drain();
        return;
      }
      case 'need-code': {
        // The shard's cache dropped the bundle since it was sent: send it again, with its code.
        const r = this.requests.get(m.id);
        if (!r?.bundle || (r.message.type !== 'tick' && r.message.type !== 'inspect')) return;
        r.message.bundle = withCode(r.bundle);
        this.remember(r.bundle.sha256);
        this.transport?.post(r.message);
        return;
      }
      case 'capability':
        this.runCapability(m);
        return;
      case 'capability-abort':
        this.calls.get(m.call)?.abort();
        this.calls.delete(m.call);
        return;
      case 'fatal':
        this.fatal = fromWireError(m.error);
        for (const id of [...this.requests.keys()]) this.settle(id)?.reject(this.fatal);
        this.transport?.kill();
        return;
    }
  }

  private runCapability(m: Extract<ShardMessage, { type: 'capability' }>): void {
    const reply = (ok: boolean, text: string): void => {
      if (!this.calls.delete(m.call)) return;
      this.transport?.post({ type: 'capability-result', call: m.call, ok, text });
    };
    const cap = this.owner.capability(m.tenantId, m.name);
    const abort = new AbortController();
    this.calls.set(m.call, abort);
    if (!cap) return reply(false, `capability ${JSON.stringify(m.name)} is not available to tenant ${m.tenantId}`);
    void Promise.resolve()
      .then(() => cap({ tenantId: m.tenantId, node: m.node, version: m.version, signal: abort.signal }, ...m.args))
      .then(
        (value) => {
          const text = capabilityResultText(value);
          if (text === undefined) reply(false, `capability ${m.name} returned a value that is not JSON-serializable`);
          else reply(true, text);
        },
        (err: unknown) => reply(false, capabilityErrorMessage(err)),
      );
  }

  /** Too much resident memory: let the requests in flight finish, hold new ones, then restart. */
  private drain(): void {
    this.draining = new Promise<void>((resolve) => (this.endDrain = resolve));
    if (this.requests.size === 0) this.transport?.kill();
  }

  private onExit(transport: ShardTransport, why: string): void {
    if (this.transport !== transport) return;
    this.transport = undefined;
    const c = this.counters;
    this.retired.isolatesCreated += c.isolatesCreated;
    this.retired.ticks += c.ticks;
    this.retired.breaches += c.breaches;
    this.retired.budgetEvictions += c.budgetEvictions;
    if (!this.disposed) this.retired.restarts++;
    this.counters = { ...ZERO };
    this.told = new Set();
    this.sent = new Set();
    for (const abort of this.calls.values()) abort.abort();
    this.calls.clear();
    const overran = this.overran;
    this.overran = undefined;
    for (const id of [...this.requests.keys()]) this.settle(id)?.lost(why, id === overran);
    const endDrain = this.endDrain;
    this.draining = undefined;
    this.endDrain = undefined;
    endDrain?.();
  }
}
