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
import type { FactoryText } from '../sandbox/bundle-factory.js';
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
  /** The factory of a bundle, built once on the host and sent with its code (a shard never runs esbuild). */
  factoryOf(bundle: RunnableBundle): Promise<FactoryText>;
  /** Reports a shard the host had to give up on (the host's logger, at error level). */
  abandoned(message: string, fields: Record<string, unknown>): void;
}

/** Sizing and behaviour of a shard. */
export interface ShardOptions {
  kind: 'thread' | 'process';
  init: ShardInit;
  /**
   * Time after a tick's wall limit before its shard is given up on (ms): a process is killed, a
   * thread (which cannot be killed from outside) is abandoned and replaced.
   */
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

/** Why a tick whose shard was given up on for overrunning failed. */
function overrunMessage(who: GuestIdentity, limits: SandboxLimits, kind: 'thread' | 'process'): string {
  const what = kind === 'process' ? 'its sandbox process was killed' : 'its sandbox thread was abandoned';
  return limitMessage(who, 'wallTimeMs', limits, `it did not stop at its limit, so ${what}`);
}

/** A bundle the shard has been sent already: named by its sha256 only. */
function byReference(b: RunnableBundle): WireBundle {
  return { tenantId: b.tenantId, node: b.node, version: b.version, sha256: b.sha256 };
}

function withCode(b: RunnableBundle, factory: FactoryText): WireBundle {
  return { tenantId: b.tenantId, node: b.node, version: b.version, sha256: b.sha256, code: b.code, ...(b.sourceMap !== undefined ? { sourceMap: b.sourceMap } : {}), factory };
}

/** How long a disposed shard may take to answer, then to end by itself, before it is killed (ms). */
const EXIT_GRACE_MS = 5_000;

/** How long a killed shard may take to end before it is abandoned (ms). */
const KILL_WAIT_MS = 1_000;

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
    fields: { propsJson: string; blackboardJson: string; nodeId?: string; nodeName?: string; usage: boolean; usageHeap?: false },
    signal: AbortSignal | undefined,
  ): Promise<{ outcome: TickOutcome; usage?: TickUsage }> {
    if (this.draining) await this.draining;
    const wire = this.sent.has(bundle.sha256) ? byReference(bundle) : withCode(bundle, await this.owner.factoryOf(bundle));
    const id = ++this.nextId;
    const message = {
      type: 'tick' as const,
      id,
      bundle: wire,
      ...this.setupFor(bundle.tenantId),
      blackboardJson: fields.blackboardJson,
      propsJson: fields.propsJson,
      ...(fields.nodeId !== undefined ? { nodeId: fields.nodeId } : {}),
      ...(fields.nodeName !== undefined ? { nodeName: fields.nodeName } : {}),
      usage: fields.usage,
      ...(fields.usageHeap === false ? { usageHeap: false as const } : {}),
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
              ? { ...failure(overrunMessage(bundle, limits, this.options.kind)), limit: 'wallTimeMs' }
              : failure(`${bundle.node}@${bundle.version} was stopped: its sandbox ${this.options.kind} ended (${why}). HINT: run the tick again`);
            resolve({ type: 'done', id, counters: this.counters, outcome });
          },
        });
        // An abort while the tick was on its way (waiting for a drain, its bundle factory or the
        // shard's start) found no tick to stop and no transport to tell: tell the shard now, after the
        // tick, which it handles first (a second abort of the same tick is ignored there).
        if (signal?.aborted) onAbort();
      });
      if (reply.error) throw fromWireError(reply.error);
      if (!reply.outcome) throw new InternalError('sandbox shard failed', 'a tick reply carried no outcome');
      return { outcome: reply.outcome, ...(reply.usage ? { usage: reply.usage } : {}) };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** @internal Test seam: blocks the shard's thread for `ms`, as a script isolated-vm fails to terminate does. */
  stall(ms: number): void {
    (this.transport ??= this.start()).post({ type: 'stall', ms });
  }

  /** Reads a bundle's metadata here. */
  async inspect(bundle: RunnableBundle, limits: SandboxLimits): Promise<NodeMetadata> {
    if (this.draining) await this.draining;
    const wire = this.sent.has(bundle.sha256) ? byReference(bundle) : withCode(bundle, await this.owner.factoryOf(bundle));
    const id = ++this.nextId;
    const reply = await new Promise<Done>((resolve, reject) => {
      this.send({
        message: { type: 'inspect', id, bundle: wire, ...this.setupFor(bundle.tenantId) },
        bundle,
        wallTimeMs: limits.wallTimeMs,
        resolve,
        reject,
        lost: (why, overran) => {
          const context = { tenant: bundle.tenantId, node: bundle.node, version: bundle.version };
          reject(
            overran
              ? new LimitExceededError('wallTimeMs', 'inspect failed', overrunMessage(bundle, limits, this.options.kind), { context })
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
   * clean-up first); it is killed only if it has not ended within {@link EXIT_GRACE_MS}, and a
   * thread that does not end even then is abandoned (it no longer keeps the host alive).
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const transport = this.transport;
    if (!transport) return;
    const timeout = (ms: number): Promise<false> => new Promise((r) => setTimeout(() => r(false), ms).unref());
    const disposed = this.control({ type: 'dispose', id: ++this.nextId }).then(
      () => true,
      () => true, // it ended meanwhile
    );
    const answered = await Promise.race([disposed, timeout(EXIT_GRACE_MS)]);
    transport.hold(true);
    if (answered) await Promise.race([transport.exited, timeout(EXIT_GRACE_MS)]);
    transport.kill();
    // A thread stuck in native code does not end even when terminated: it is abandoned.
    await Promise.race([transport.exited, timeout(KILL_WAIT_MS)]);
    transport.abandon();
  }

  private control(message: Extract<HostMessage, { type: 'evict' | 'stats' | 'dispose' }>): Promise<Done> {
    return new Promise<Done>((resolve, reject) => {
      this.send({ message, wallTimeMs: undefined, resolve, reject, lost: (why) => reject(new InternalError('sandbox shard failed', `the shard ended (${why})`)) });
    });
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
      // A bundle esbuild refused is sent with its code (and the error) every time: the shard never builds it.
      if (m.bundle.code !== undefined && m.bundle.factory && !('error' in m.bundle.factory)) this.remember(m.bundle.sha256);
      if (this.ready) this.arm(request);
    }
    transport.post(m);
  }

  private remember(sha256: string): void {
    // The shard's own cache may drop bundles; it then asks again (`need-code`). Bounded here too.
    if (this.sent.size >= 20_000) this.sent.clear();
    this.sent.add(sha256);
  }

  /**
   * The watchdog: a tick that has not answered by its wall limit plus the grace means the shard is
   * stuck (a guest the sandbox's own limits did not stop, or isolated-vm failing to terminate a
   * script). A process is killed; a thread is abandoned ({@link abandon}). Either way the shard's
   * requests end now and its next request starts a fresh one.
   */
  private arm(request: Request): void {
    if (request.wallTimeMs === undefined || request.deadline) return;
    const waitMs = request.wallTimeMs + this.options.killGraceMs;
    request.deadline = setTimeout(() => {
      if (!this.requests.has(request.message.id)) return;
      this.overran = request.message.id;
      this.retired.overrunsKilled++;
      if (this.options.kind === 'process') this.transport?.kill();
      else this.abandon(request, waitMs);
    }, waitMs);
    request.deadline.unref?.();
  }

  /**
   * Gives up on a thread that stopped answering. A thread cannot be stopped from outside while it is
   * inside native code, and terminating it there can abort the host; so it is left to end by itself:
   * it is sent `dispose` (which it reads if it ever gets free: its isolates are disposed and it
   * ends), and no longer keeps the host alive or reaches it.
   */
  private abandon(request: Request, waitMs: number): void {
    const transport = this.transport;
    if (!transport) return;
    const b = request.bundle;
    const who = b ? `${b.tenantId}/${b.node}@${b.version}` : 'a request';
    this.owner.abandoned(
      `a sandbox thread stopped answering: a tick of ${who} did not end within ${waitMs} ms (its wall limit plus killGraceMs), ` +
        'so the thread was abandoned and a new one started; an abandoned thread may keep a core busy until this process restarts. ' +
        "HINT: run tenants whose code can do this with isolation 'process', whose shards are killed instead",
      { tenantId: b?.tenantId, node: b?.node, version: b?.version },
    );
    transport.post({ type: 'dispose', id: ++this.nextId });
    transport.abandon();
    this.onExit(transport, `it did not answer within ${waitMs} ms and was abandoned`);
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
    // An abandoned thread that gets free again may still send: only the current incarnation is heard.
    const events = {
      message: (m: ShardMessage) => {
        if (this.transport === transport) this.onMessage(m);
      },
      exit: (why: string) => this.onExit(transport, why),
    };
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
        const bundle = r.bundle;
        const transport = this.transport;
        // The factory is in the host's memo by now (it was built to send the code the first time).
        void this.owner.factoryOf(bundle).then(
          (factory) => {
            if (this.requests.get(m.id) !== r || this.transport !== transport) return;
            if (r.message.type !== 'tick' && r.message.type !== 'inspect') return;
            r.message.bundle = withCode(bundle, factory);
            if (!('error' in factory)) this.remember(bundle.sha256);
            transport?.post(r.message);
          },
          (e: unknown) => this.settle(m.id)?.reject(e instanceof Error ? e : new Error(String(e))),
        );
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
