/**
 * The author's test harness: compiles a node the way the registry does, runs it in the same
 * isolated-vm sandbox and guest runtime as production (a private `SandboxPool`), with given props,
 * blackboard and stubbed capabilities, and reports what the tick did and what it cost.
 *
 * @module
 */
import { isProxy } from 'node:util/types';
import type { GuestLogLine, JsonValue, NodeMetadata } from '../binding-core/types.js';
import { PropsValidatorCache } from '../btree/props-validator.js';
import { DisposedError, InvalidInputError } from '../errors.js';
import { compileNode, type CompileOptions } from '../loader/compile.js';
import type { CompiledNode } from '../loader/types.js';
import type { Capability } from '../sandbox/capability-dispatch.js';
import { resolveLimits, type SandboxLimits } from '../sandbox/limits.js';
import { SandboxPool } from '../sandbox/pool.js';
import type { RunnableBundle, TickUsage } from '../sandbox/types.js';
import { readNodeFiles } from './node-files.js';

/**
 * A stand-in for a host capability: a function of the call's arguments (its result, or a thrown
 * error, is what the node's `await` sees), or a plain value every call returns.
 */
export type CapabilityStub = ((...args: JsonValue[]) => unknown) | JsonValue;

/** Which node to load: its source text, several files, or a file on disk. */
export interface NodeSourceInput {
  /** One file of TypeScript. */
  source?: string;
  /** Several files (path → text) with `entry`. */
  files?: Record<string, string>;
  /** With `files`: the file that default-exports the node. */
  entry?: string;
  /** A file on disk: the entry; the files it imports with relative paths are read too. */
  file?: string;
  /** The node's name (default: from `file`, `send-slack-message.ts` → `SendSlackMessage`, else `Node`). */
  name?: string;
}

/** Options of {@link NodeHarness.load}. */
export interface NodeHarnessOptions extends NodeSourceInput {
  /** Sandbox limits over the defaults (e.g. the target tenant's limits). */
  limits?: Partial<SandboxLimits>;
  /** Compile limits and blocking rules, as the registry's `compile` option. */
  compile?: CompileOptions;
  /** The tenant id the node runs as (default {@link HARNESS_TENANT}); capabilities see it in their context. */
  tenantId?: string;
}

/** One tick's input. */
export interface NodeRunInput {
  /** The node's props, as a tree would give them (checked against the node's props schema first). */
  props?: Record<string, JsonValue>;
  /** The blackboard the node sees. */
  blackboard?: Record<string, JsonValue>;
  /** Stubs of the host capabilities the node calls, by name. */
  capabilities?: Record<string, CapabilityStub>;
  /** The node's id in the tree (default: its name). */
  nodeId?: string;
}

/** One capability call the node made, in call order. */
export interface CapabilityCallRecord {
  name: string;
  args: JsonValue[];
  /** What the stub returned (absent when it threw). */
  result?: unknown;
  /** The message of what the stub threw. */
  error?: string;
}

/** What one tick cost, measured by the sandbox against the limits it enforces. */
export interface NodeCost {
  /** CPU time of the tick in the isolate (limit: `cpuTimeMs`). */
  cpuMs: number;
  /** Wall-clock time of the tick, capabilities included (limit: `wallTimeMs`). */
  wallMs: number;
  /** Heap in use by the tenant's isolate after the tick, guest runtime included (limit: `memoryMb`). */
  heapBytes: number | undefined;
  /** Size of the compiled bundle (limit: the compile limit `maxBundleBytes`). */
  bundleBytes: number;
}

/** What one tick did. */
export interface NodeRunResult {
  status: 'SUCCESS' | 'FAILURE' | 'RUNNING';
  /** Blackboard keys the node set, with their values. */
  writes: Record<string, JsonValue>;
  /** Blackboard keys the node deleted. */
  deletes: string[];
  capabilityCalls: CapabilityCallRecord[];
  logs: GuestLogLine[];
  /** Why the tick failed (the node's `_lastError`, an exception with its TypeScript stack, a breach, or invalid props). */
  error?: string;
  /** The limit the tick broke, when it broke one (`cpuTimeMs`, `memory`, …). */
  limit?: string;
  cost: NodeCost;
}

/** The tenant a harness runs its node as, unless told otherwise. */
export const HARNESS_TENANT = 'author';

const PASCAL_OF_KEBAB = /(^|[-_.])([a-z0-9])/g;

/** `send-slack-message.ts` → `SendSlackMessage`. */
export function nodeNameOfFile(file: string): string {
  const base = file.split(/[\\/]/).pop()!.replace(/\.(m?ts|m?js)$/, '');
  const name = base.replace(PASCAL_OF_KEBAB, (_m, _sep: string, c: string) => c.toUpperCase());
  return /^[A-Z][A-Za-z0-9]*$/.test(name) ? name : 'Node';
}

/**
 * A node compiled and loaded once, run many times. Runs are sequential: each waits for the one
 * before it. Dispose it when done (it holds an isolate).
 *
 * @example
 * ```ts
 * import { NodeHarness } from '@wayfarer-ai/btree-plugins/testing/harness';
 *
 * const harness = await NodeHarness.load({ file: 'src/send-slack-message.ts' });
 * const result = await harness.run({
 *   props: { channel: '#ops', message: 'Order {{orderId}}' },
 *   blackboard: { orderId: 42 },
 *   capabilities: { sendSlackMessage: () => ({ ok: true }) },
 * });
 * result.status; // 'SUCCESS'
 * result.capabilityCalls; // [{ name: 'sendSlackMessage', args: ['#ops', 'Order 42'], result: { ok: true } }]
 * result.cost; // { cpuMs, wallMs, heapBytes, bundleBytes }
 * await harness.dispose();
 * ```
 */
export class NodeHarness {
  /** The compiled node (bundle, source map, sizes, scan findings). */
  readonly compiled: CompiledNode;
  /** The node's self-description, read by running it once in the sandbox, as publishing does. */
  readonly metadata: NodeMetadata;
  /** The limits each tick runs under. */
  readonly limits: SandboxLimits;
  readonly #pool: SandboxPool;
  readonly #bundle: RunnableBundle;
  /** The pool's capabilities for the tenant: filled with the current run's stubs. */
  readonly #capabilities: Record<string, Capability>;
  readonly #validators = new PropsValidatorCache({ max: 1 });
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

  private constructor(compiled: CompiledNode, metadata: NodeMetadata, limits: SandboxLimits, pool: SandboxPool, bundle: RunnableBundle, capabilities: Record<string, Capability>) {
    this.compiled = compiled;
    this.metadata = metadata;
    this.limits = limits;
    this.#pool = pool;
    this.#bundle = bundle;
    this.#capabilities = capabilities;
  }

  /**
   * Compiles the node (throws `CompileError` with located diagnostics) and inspects it in the
   * sandbox (throws `InvalidInputError` or `LimitExceededError` as publishing would).
   */
  static async load(options: NodeHarnessOptions): Promise<NodeHarness> {
    const input = await sourceInput(options);
    const limits = resolveLimits(options.limits);
    const tenantId = options.tenantId ?? HARNESS_TENANT;
    const compiled = await compileNode({ name: input.name, version: '0.0.0-local', ...input.upload }, options.compile);
    const capabilities: Record<string, Capability> = Object.create(null) as Record<string, Capability>;
    const own = { limits, capabilities };
    const pool = new SandboxPool({ tenants: (t) => (t === tenantId ? own : undefined), maxIsolates: 1 });
    const bundle: RunnableBundle = { tenantId, node: compiled.name, version: compiled.version, sha256: compiled.sha256, code: compiled.bundle, sourceMap: compiled.sourceMap };
    try {
      const metadata = await pool.inspect(bundle);
      return new NodeHarness(compiled, metadata, limits, pool, bundle, capabilities);
    } catch (e) {
      await pool.dispose();
      throw e;
    }
  }

  /** Runs one tick. Never throws for what the node does: failures come back as `status: 'FAILURE'`. */
  run(input: NodeRunInput = {}): Promise<NodeRunResult> {
    if (this.#disposed) return Promise.reject(new DisposedError('NodeHarness', { hint: 'load the node again' }));
    const next = this.#queue.then(() => this.#run(input));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Disposes the isolate. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#queue;
    await this.#pool.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async #run(input: NodeRunInput): Promise<NodeRunResult> {
    const bundleBytes = this.compiled.sizes.bundleBytes;
    const calls: CapabilityCallRecord[] = [];
    const props = this.#checkProps(input.props ?? {}, input.nodeId ?? this.compiled.name);
    if (typeof props === 'string') {
      return { status: 'FAILURE', writes: {}, deletes: [], capabilityCalls: calls, logs: [], error: props, cost: { cpuMs: 0, wallMs: 0, heapBytes: undefined, bundleBytes } };
    }
    for (const key of Object.keys(this.#capabilities)) delete this.#capabilities[key];
    for (const [name, stub] of Object.entries(input.capabilities ?? {})) this.#capabilities[name] = recordingCapability(name, stub, calls);
    let usage: TickUsage | undefined;
    const outcome = await this.#pool.tick(this.#bundle, {
      props,
      blackboard: input.blackboard ?? {},
      nodeId: input.nodeId ?? this.compiled.name,
      onUsage: (u) => (usage = u),
    });
    const result: NodeRunResult = {
      status: outcome.status,
      writes: outcome.writes,
      deletes: outcome.deletes,
      capabilityCalls: calls,
      logs: outcome.logs,
      cost: { cpuMs: usage?.cpuMs ?? 0, wallMs: usage?.wallMs ?? 0, heapBytes: usage?.heapBytes, bundleBytes },
    };
    if (outcome.error !== undefined) result.error = outcome.error;
    if (outcome.limit !== undefined) result.limit = outcome.limit;
    return result;
  }

  /** The props as the binding checks them when a tree is built: JSON data, then the props schema. */
  #checkProps(given: Record<string, JsonValue>, id: string): Record<string, JsonValue> | string {
    const checked = this.#validators.nodeProps(this.compiled.sha256, { id, ...given }, { propsSchema: this.metadata.propsSchema, isProxy });
    if (checked.ok) return checked.props;
    const problems = checked.problems;
    return `invalid props for ${this.compiled.name}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')} (a tree with these props would fail to load)`;
  }
}

/**
 * Compiles `node`, runs one tick and disposes the sandbox: {@link NodeHarness} for a single run.
 *
 * @example
 * ```ts
 * const { status, writes, cost } = await runNode({ source, props: { greeting: 'Hi' }, blackboard: { who: 'Ada' } });
 * ```
 */
export async function runNode(options: NodeHarnessOptions & NodeRunInput): Promise<NodeRunResult> {
  const harness = await NodeHarness.load(options);
  try {
    return await harness.run(options);
  } finally {
    await harness.dispose();
  }
}

function recordingCapability(name: string, stub: CapabilityStub, calls: CapabilityCallRecord[]): Capability {
  return async (_ctx, ...args) => {
    const record: CapabilityCallRecord = { name, args };
    calls.push(record);
    try {
      const result = typeof stub === 'function' ? await stub(...args) : stub;
      record.result = result;
      return result;
    } catch (e) {
      record.error = e instanceof Error ? e.message : String(e);
      throw e;
    }
  };
}

async function sourceInput(o: NodeSourceInput): Promise<{ name: string; upload: { source: string } | { files: Record<string, string>; entry: string } }> {
  if (!o || typeof o !== 'object') throw new InvalidInputError('invalid node input', 'options are required', { hint: 'pass `{ source }`, `{ files, entry }` or `{ file }`' });
  const given = [o.source !== undefined && 'source', o.files !== undefined && 'files', o.file !== undefined && 'file'].filter(Boolean);
  if (given.length !== 1) {
    throw new InvalidInputError('invalid node input', given.length === 0 ? 'no node given' : `${given.join(' and ')} given together`, {
      hint: 'pass exactly one of `source` (one file), `files` with `entry`, or `file` (a path on disk)',
    });
  }
  if (o.file !== undefined) {
    const read = await readNodeFiles(o.file);
    return { name: o.name ?? nodeNameOfFile(o.file), upload: { files: read.files, entry: read.entry } };
  }
  const name = o.name ?? (o.entry ? nodeNameOfFile(o.entry) : 'Node');
  if (o.source !== undefined) return { name, upload: { source: o.source } };
  return { name, upload: { files: o.files!, entry: o.entry ?? '' } };
}
