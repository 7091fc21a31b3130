/**
 * Registers a tenant's nodes into a host btree `Registry`.
 *
 * @module
 */
import type { ExecutionLimits } from '../rate-limits/execution-limits.js';
import { ConflictError } from '../errors.js';
import type { NodeMetadata } from '../binding-core/types.js';
import type { NodeRunner, RunnableBundle } from '../sandbox/types.js';
import type { BtreeModule, HostLeafNode, HostNodeConfiguration, HostNodeMetadata, HostRegistry, InjectedBtreeModule } from '../binding-core/host-btree.js';
import type { BundleMemo } from './bundle-memo.js';
import type { PluginLogger } from './logger.js';
import { createTenantNodeClass, type TenantNodeClass } from './node-class.js';
import type { PropsValidatorCache } from './props-validator.js';
import { isPinnedType, readTreeTypes } from './tree-yaml.js';

/** One resolved tenant node version, as the binding needs it. */
export interface ResolvedTenantNode {
  name: string;
  version: string;
  /** sha256 of the bundle. */
  sha256: string;
  metadata: NodeMetadata;
  /** e.g. "SendSlackMessage@1.0.0 is deprecated: use 2.x". */
  warnings?: string[];
}

/**
 * Where the binding finds a tenant's nodes. `PluginHost` adapts its `TenantRegistry` to this; tests
 * may pass a small in-memory one.
 */
export interface TenantNodeCatalog {
  /** The active version of every node of the tenant. */
  activeNodes(tenantId: string): Promise<ResolvedTenantNode[]>;
  /** `Name`, `Name@1.2.0` or `Name@^1.2`; throws when nothing matches. */
  resolve(tenantId: string, spec: string): Promise<ResolvedTenantNode>;
  /** The integrity-checked bundle. */
  loadBundle(tenantId: string, name: string, version: string): Promise<RunnableBundle>;
}

/**
 * A node type the host provides to every tenant (the interpreter nodes). `create` is called once per
 * registration; the class it returns is registered under `type`.
 */
export interface BuiltinNodeProvider {
  /** Registry type and class name, e.g. `JavaScriptInterpreter`. */
  readonly type: string;
  create(
    btree: BtreeModule,
    tenantId: string,
  ):
    | { ctor: new (config: HostNodeConfiguration) => HostLeafNode; metadata: HostNodeMetadata }
    | Promise<{ ctor: new (config: HostNodeConfiguration) => HostLeafNode; metadata: HostNodeMetadata }>;
  /** Frees what the provider holds (engines, pools). */
  dispose?(): Promise<void>;
}

/** One type the binding registered (or found already registered with the same version). */
export interface RegisteredType {
  /** The registry key: `Name`, `Name@1.2.0`, `Name@^1.2`, or a builtin's type. */
  type: string;
  /** Node name (= class name). */
  name: string;
  /** The version (tenant nodes), `builtin` for builtins. */
  version: string;
  category: HostNodeMetadata['category'];
}

/** What {@link registerTenantNodes} did. */
export interface RegisterNodesResult {
  /** Types newly registered by this call. */
  registered: RegisteredType[];
  /** Types that were already registered with the same tenant and version (idempotent re-runs). */
  skipped: RegisteredType[];
  /** Deprecated versions, unreadable YAML, and the like. */
  warnings: string[];
}

/** Options of {@link registerTenantNodes}. */
export interface RegisterNodesOptions {
  /** The tree that will be loaded: the pinned types it names are registered too. */
  yaml?: string;
}

/** What the binding needs from its host. */
export interface BindingContext {
  btree: InjectedBtreeModule;
  catalog: TenantNodeCatalog;
  runner: NodeRunner;
  builtins?: readonly BuiltinNodeProvider[];
  logger?: PluginLogger;
  validators?: PropsValidatorCache;
  /** Blackboard copy cap of a tenant (its `blackboardInBytes` limit). */
  maxBlackboardBytes?: (tenantId: string) => number;
  /** Keeps loaded bundles in memory (default: none, every tick loads from the catalog). */
  bundles?: BundleMemo;
  /** Reuses classes across registrations (keyed by tenant, name, version and sha256); e.g. an LRU. */
  classCache?: { get(key: string): TenantNodeClass | undefined; set(key: string, value: TenantNodeClass): unknown };
  /** The host's execution limits, checked before each tick of a tenant node. */
  rateLimits?: ExecutionLimits;
}

interface Owner {
  tenantId: string;
  name: string;
  version: string;
  sha256: string;
}

/** What this library registered into each host Registry, to tell an idempotent re-run from a clash. */
const owners = new WeakMap<object, Map<string, Owner>>();

/**
 * Registers into `btreeRegistry`: the builtins, every active node of `tenantId` under its bare name,
 * and every pinned type the YAML names (`type: SendSlackMessage@1.2.0` / `@^1.2`) under that exact
 * string, with registry metadata `{category, description, ports}` from the manifest.
 *
 * btree's `Registry.register` throws on duplicates and has no unregister (btree-contract §3): a type
 * already registered with the same tenant, name and version is skipped; anything else is a
 * {@link ConflictError}. Use one Registry per tenant (per workflow run is cheapest to reason about).
 */
export async function registerTenantNodes(
  ctx: BindingContext,
  btreeRegistry: HostRegistry,
  tenantId: string,
  options: RegisterNodesOptions = {},
): Promise<RegisterNodesResult> {
  const result: RegisterNodesResult = { registered: [], skipped: [], warnings: [] };
  let owned = owners.get(btreeRegistry);
  if (!owned) owners.set(btreeRegistry, (owned = new Map()));

  // Resolve everything first, so that a failed resolve registers nothing.
  const wanted: Array<{ type: string; node: ResolvedTenantNode }> = [];
  for (const node of await ctx.catalog.activeNodes(tenantId)) wanted.push({ type: node.name, node });
  if (options.yaml !== undefined) {
    const found = readTreeTypes(options.yaml);
    if (!found.ok) result.warnings.push(`the YAML tree could not be read for pinned node versions: ${found.message}`);
    else {
      for (const type of found.types.filter(isPinnedType)) {
        wanted.push({ type, node: await ctx.catalog.resolve(tenantId, type) });
      }
    }
  }

  // Check every type before registering any, so that a clash leaves the Registry untouched.
  const builtins = (ctx.builtins ?? []).filter((builtin) =>
    claim(btreeRegistry, owned, builtin.type, builtinOwner(tenantId, builtin), result, {
      type: builtin.type,
      name: builtin.type,
      version: 'builtin',
      category: 'action',
    }),
  );
  const nodes = wanted.filter(({ type, node }) => {
    for (const w of node.warnings ?? []) if (!result.warnings.includes(w)) result.warnings.push(w);
    const entry: RegisteredType = { type, name: node.name, version: node.version, category: leafCategory(node) };
    return claim(btreeRegistry, owned, type, nodeOwner(tenantId, node), result, entry);
  });

  for (const builtin of builtins) {
    const { ctor, metadata } = await builtin.create(ctx.btree as BtreeModule, tenantId);
    btreeRegistry.register(builtin.type, ctor, metadata);
    owned.set(builtin.type, builtinOwner(tenantId, builtin));
    result.registered.push({ type: builtin.type, name: builtin.type, version: 'builtin', category: metadata.category ?? 'action' });
  }
  for (const { type, node } of nodes) {
    // Tenant nodes are leaves: anything but 'condition' registers as 'action' (a 'decorator' category
    // would make btree's semantic validator demand a child).
    const metadata: HostNodeMetadata = { category: leafCategory(node), ports: node.metadata.ports ?? [] };
    if (node.metadata.description !== undefined) metadata.description = node.metadata.description;
    btreeRegistry.register(type, classFor(ctx, tenantId, node), metadata);
    owned.set(type, nodeOwner(tenantId, node));
    result.registered.push({ type, name: node.name, version: node.version, category: leafCategory(node) });
  }
  return result;
}

/** True when `type` is free; false (and recorded as skipped) when it holds the same version; throws otherwise. */
function claim(registry: HostRegistry, owned: Map<string, Owner>, type: string, owner: Owner, result: RegisterNodesResult, entry: RegisteredType): boolean {
  const current = owned.get(type);
  if (current && sameOwner(current, owner)) {
    result.skipped.push(entry);
    return false;
  }
  if (!current && !registry.has(type)) return true;
  const holder = current
    ? `${current.name}@${current.version} of tenant ${current.tenantId}`
    : 'a node this library did not register (a standard node or the host’s own)';
  throw new ConflictError('cannot register node type', `the host Registry already has "${type}", registered as ${holder}`, {
    context: { tenant: owner.tenantId, type, version: owner.version },
    hint: 'btree has no unregister: give each tenant (or each workflow run) its own Registry, and do not name tenant nodes after host nodes',
  });
}

function leafCategory(node: ResolvedTenantNode): 'action' | 'condition' {
  return node.metadata.category === 'condition' ? 'condition' : 'action';
}

function builtinOwner(tenantId: string, builtin: BuiltinNodeProvider): Owner {
  return { tenantId, name: builtin.type, version: 'builtin', sha256: '' };
}

function nodeOwner(tenantId: string, node: ResolvedTenantNode): Owner {
  return { tenantId, name: node.name, version: node.version, sha256: node.sha256 };
}

function sameOwner(a: Owner, b: Owner): boolean {
  return a.tenantId === b.tenantId && a.name === b.name && a.version === b.version && a.sha256 === b.sha256;
}

function classFor(ctx: BindingContext, tenantId: string, node: ResolvedTenantNode): TenantNodeClass {
  const key = `${tenantId}/${node.name}@${node.version}#${node.sha256}`;
  const cached = ctx.classCache?.get(key);
  if (cached) return cached;
  const cls = createTenantNodeClass(ctx.btree, {
    tenantId,
    name: node.name,
    version: node.version,
    sha256: node.sha256,
    metadata: node.metadata,
    runner: ctx.runner,
    loadBundle: ctx.bundles
      ? () => ctx.bundles!.get(key, () => ctx.catalog.loadBundle(tenantId, node.name, node.version))
      : () => ctx.catalog.loadBundle(tenantId, node.name, node.version),
    ...(ctx.maxBlackboardBytes ? { maxBlackboardBytes: ctx.maxBlackboardBytes(tenantId) } : {}),
    ...(ctx.validators ? { validators: ctx.validators } : {}),
    ...(ctx.logger ? { logger: ctx.logger } : {}),
    ...(ctx.rateLimits ? { rateLimits: ctx.rateLimits } : {}),
  });
  ctx.classCache?.set(key, cls);
  return cls;
}
