/**
 * `TenantRegistry`: the versioned, per-tenant registry of custom nodes over any storage adapter.
 * See docs/registry.md for the life cycle, the storage layout and the guarantees.
 *
 * Publishing happens here, in one place: check the upload once → compile it once → run it once in
 * the sandbox (the `inspector` the registry is given, never a call back into its owner) → store.
 * Without an inspector a registry still governs versions, but refuses to publish: a version
 * stored without its props schema would run with unchecked props.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import semver from 'semver';
import { ConflictError, IntegrityError, InvalidInputError, NotFoundError } from '../errors.js';
import { checkUpload, compileNode, type CheckedUpload, type CompileOptions } from '../loader/compile.js';
import { sha256Hex } from '../loader/hash.js';
import { DEFAULT_BLOCK_ON, type BlockOn } from '../loader/scan.js';
import { DEFAULT_COMPILE_LIMITS, type CompileLimits } from '../loader/virtual-files.js';
import type { CompiledNode } from '../loader/types.js';
import type { RunnableBundle } from '../sandbox/types.js';
import type { StorageAdapter } from '../storage-adapters/types.js';
import { mapBounded, type AuditQuery } from './audit-log.js';
import { putImmutable } from './documents.js';
import { assertNodeName, assertTenantId, assertVersion, assertWorkflowId, parseNodeSpec, printable } from './ids.js';
import type { CasOptions, IndexChange } from './index-store.js';
import { IndexCache, type IndexCacheOptions } from './index-cache.js';
import { auditEventNode, versionKeys } from './layout.js';
import type { MetadataStore } from './metadata-store.js';
import { ObjectStoreMetadata } from './object-store-metadata.js';
import * as lifeCycle from './life-cycle.js';
import { assertManifestIdentity, buildManifest, optionalText, requiredText } from './manifest.js';
import { resolveInIndex } from './resolve.js';
import type {
  AuditEvent,
  IndexDocument,
  NodeInspector,
  NodeManifest,
  NodeSummary,
  PublishInput,
  PublishResult,
  ResolvedNode,
  UsageRecord,
  VersionDetails,
  VersionInfo,
} from './types.js';

/** Options of {@link TenantRegistry}. */
export interface TenantRegistryOptions {
  /** Where the bytes (sources, bundles, source maps) are kept, and by default the metadata too. Several registries (processes) may share one store. */
  storage: StorageAdapter;
  /**
   * Where the metadata (manifests, index, audit, usages) is kept. Default: documents in `storage`
   * ({@link ObjectStoreMetadata}).
   */
  metadata?: MetadataStore;
  /** When true (default), a draft must be approved before it can be activated or resolved. */
  requireApproval?: boolean;
  /** Compile limits (and a default `blockOn`). */
  compile?: CompileOptions;
  /** Which scan findings block publishing (default: none; overrides `compile.blockOn`). */
  blockOn?: BlockOn;
  /**
   * Runs each new bundle once in a sandbox to read its metadata and props schema, e.g. a host's
   * runner (`await host.nodeRunner()`). Required by `publish`, which otherwise throws
   * `InvalidInputError` and stores nothing; the other methods work without it. `PluginHost`
   * passes its sandbox.
   */
  inspector?: NodeInspector;
  /** Milliseconds since the epoch (default `Date.now`); used for timestamps and audit ids. */
  clock?: () => number;
  /** Node names tenants may not use, in addition to btree's built-ins and the interpreter nodes. */
  reservedNames?: string[];
  /** Retry policy of index compare-and-swap (of the default metadata store). */
  cas?: CasOptions;
  /** How many immutable manifests to keep in memory (default 1,000). */
  manifestCacheSize?: number;
  /**
   * Caching of index documents for `resolve`, `activeNodes` and `loadBundle` (management reads —
   * `list`, `versions`, `get`, `audit` — always read the store). With a metadata store that has a
   * change feed (`PostgresMetadataStore`: LISTEN/NOTIFY) it is on by default and follows every
   * change from any process; with the default object-store metadata it is off unless `ttlMs` is
   * set, which is then how long another process's change may go unseen. This process's own
   * changes are always seen at once. `false` turns it off.
   */
  indexCache?: IndexCacheOptions | false;
}

export type { IndexCacheOptions };

/** Who made a change. */
export interface ActorOptions {
  by?: string;
}

/** Who activates, and (optionally) which version they expect to replace. */
export interface ActivateOptions extends ActorOptions {
  /**
   * Compare-and-swap: the version the caller believes is active now (`null`: none). When the
   * node's active version is another one at the moment of the change, nothing changes and
   * `activate` throws `ConflictError` naming the actual active version. Omit it to activate
   * unconditionally.
   */
  expectedActive?: string | null;
}

/** Paging and filtering of {@link TenantRegistry.list}. */
export interface ListOptions {
  /** Only the node of this name (none when the tenant has no such node): one index read. */
  name?: string;
  /** Only nodes whose name sorts after this one (the last name of the previous page). */
  after?: string;
  /** Most nodes returned (default: all). */
  limit?: number;
}

/** Who reviewed, and why. */
export interface ReviewOptions {
  by: string;
  note?: string;
}

/** Why a version is deprecated. */
export interface DeprecateOptions {
  reason: string;
  by?: string;
}

const MAX_USAGES_PER_CALL = 1000;
const MAX_NAMES_IN_HINT = 20;

/**
 * A versioned, per-tenant registry of custom nodes. `PluginHost` makes one (`host.registry`) with
 * its sandbox as the inspector; a registry made by hand needs an `inspector` to publish.
 *
 * @example
 * ```ts
 * const registry = new TenantRegistry({ storage: new MemoryStorage(), inspector: await host.nodeRunner() });
 * await registry.publish('acme', { name: 'SendSlackMessage', version: '1.0.0', source, author: 'ana' });
 * await registry.approve('acme', 'SendSlackMessage', '1.0.0', { by: 'reviewer' });
 * await registry.activate('acme', 'SendSlackMessage', '1.0.0', { by: 'ana' });
 * const node = await registry.resolve('acme', 'SendSlackMessage@^1');
 * const bundle = await registry.loadBundle('acme', node.name, node.version);
 * ```
 */
export class TenantRegistry {
  readonly #storage: StorageAdapter;
  readonly #metadata: MetadataStore;
  readonly #requireApproval: boolean;
  readonly #compile: CompileOptions;
  readonly #inspector: NodeInspector | undefined;
  readonly #clock: () => number;
  readonly #reserved: ReadonlySet<string>;
  // Manifests are immutable, so caching them can never serve stale data.
  readonly #manifests: LRUCache<string, NodeManifest>;
  readonly #indexCache: IndexCache | undefined;

  constructor(options: TenantRegistryOptions) {
    if (!options?.storage) throw new InvalidInputError('invalid registry options', '`storage` is required', { hint: 'pass `{ storage: new MemoryStorage() }` or another adapter' });
    this.#storage = options.storage;
    this.#metadata = options.metadata ?? new ObjectStoreMetadata(options.storage, options.cas ? { cas: options.cas } : {});
    this.#requireApproval = options.requireApproval ?? true;
    this.#compile = { ...options.compile, ...(options.blockOn ? { blockOn: options.blockOn } : {}) };
    if ('inspect' in options) {
      throw new InvalidInputError('invalid registry options', 'the `inspect` function option was replaced by `inspector`', {
        hint: 'pass `{ inspector }` (any object with `inspect(bundle)`, e.g. `await host.nodeRunner()`) instead of `{ inspect }`',
      });
    }
    if (options.inspector !== undefined && typeof options.inspector?.inspect !== 'function') {
      throw new InvalidInputError('invalid registry options', '`inspector` has no `inspect(bundle)` method', { hint: 'pass a NodeRunner, e.g. `await host.nodeRunner()`' });
    }
    this.#inspector = options.inspector;
    this.#clock = options.clock ?? Date.now;
    this.#reserved = new Set(options.reservedNames ?? []);
    this.#manifests = new LRUCache({ max: options.manifestCacheSize ?? 1000 });
    this.#indexCache = IndexCache.create(this.#metadata, this.#clock, options.indexCache);
  }

  /**
   * Stops what the registry started in the background (the index cache's change feed, which
   * holds a database connection). Later calls read the store directly. The metadata store and
   * the storage adapter are the caller's to close.
   */
  async close(): Promise<void> {
    await this.#indexCache?.close();
  }

  /** True when drafts must be approved before activation. */
  get requireApproval(): boolean {
    return this.#requireApproval;
  }

  /**
   * What an upload must pass here: the compile limits in force (defaults filled in) and which
   * scan findings block publishing. Authoring tools check a node against it before uploading.
   */
  get compilePolicy(): { limits: Required<CompileLimits>; blockOn: BlockOn } {
    return { limits: { ...DEFAULT_COMPILE_LIMITS, ...this.#compile.limits }, blockOn: { ...DEFAULT_BLOCK_ON, ...this.#compile.blockOn } };
  }

  /**
   * Compiles, scans, inspects (runs the bundle once in the `inspector`'s sandbox) and stores a new
   * version as a `draft`. Publishing the same upload again is a no-op (`created: false`) that
   * neither compiles nor inspects; a different upload under an existing version fails.
   *
   * @throws InvalidInputError (also when the registry has no `inspector`: nothing is read or
   *   stored), CompileError, ConflictError (`version already exists with different content`),
   *   and whatever the inspector throws.
   */
  async publish(tenant: string, input: PublishInput): Promise<PublishResult> {
    // 1. The request: ids, free text, and an inspector to read the props schema with.
    assertTenantId(tenant);
    if (typeof input !== 'object' || input === null) {
      throw new InvalidInputError('publish failed', 'the input must be `{ name, version, source | files }`', { context: { tenant } });
    }
    const { name, version } = input;
    assertNodeName(name, this.#reserved);
    assertVersion(version);
    const author = optionalText('author', input.author, 200);
    const description = optionalText('description', input.description, 2000);
    const inspector = this.#requireInspector(tenant, name, version);

    // 2. The upload, checked once. Its identity decides whether the version is new.
    const upload = checkUpload(input, this.#compile);
    const existing = await this.#readManifest(tenant, name, version);
    if (existing) return this.#republish(tenant, existing, upload);

    // 3. Compile (esbuild runs once), 4. read the metadata in the sandbox, 5. store.
    const compiled = await compileNode({ name, version, upload }, this.#compile);
    const metadata = await inspector.inspect(runnable(tenant, compiled));
    const extra: { author?: string; description?: string } = {};
    if (author !== undefined) extra.author = author;
    if (description !== undefined) extra.description = description;
    const manifest = buildManifest(tenant, compiled, metadata, 'inspect', new Date(this.#clock()).toISOString(), extra);
    return this.#store(tenant, manifest, upload, compiled);
  }

  /** draft → approved. Approving an approved version is a no-op. */
  async approve(tenant: string, name: string, version: string, options: ReviewOptions): Promise<VersionInfo> {
    this.#assertIds(tenant, name, version);
    const by = requiredText('by', options?.by, 200);
    const note = optionalText('note', options?.note, 2000);
    return this.#change(tenant, name, version, lifeCycle.approve(tenant, name, version, by, note));
  }

  /** draft | approved → rejected. The active version cannot be rejected. */
  async reject(tenant: string, name: string, version: string, options: ReviewOptions): Promise<VersionInfo> {
    this.#assertIds(tenant, name, version);
    const by = requiredText('by', options?.by, 200);
    const note = optionalText('note', options?.note, 2000);
    return this.#change(tenant, name, version, lifeCycle.reject(tenant, name, version, by, note));
  }

  /**
   * Makes `version` the active one (approved first, when approval is required). With
   * `expectedActive`, a compare-and-swap: see {@link ActivateOptions.expectedActive}.
   * @throws ConflictError (rejected, deprecated, unapproved, or another version active than expected).
   */
  async activate(tenant: string, name: string, version: string, options: ActivateOptions = {}): Promise<VersionInfo> {
    this.#assertIds(tenant, name, version);
    const by = optionalText('by', options.by, 200) ?? 'unknown';
    const { expectedActive } = options;
    if (expectedActive !== undefined && expectedActive !== null) assertVersion(expectedActive);
    return this.#change(tenant, name, version, lifeCycle.activate(tenant, name, version, by, this.#requireApproval, expectedActive));
  }

  /** Marks a version deprecated: it still resolves, with a warning. */
  async deprecate(tenant: string, name: string, version: string, options: DeprecateOptions): Promise<VersionInfo> {
    this.#assertIds(tenant, name, version);
    const reason = requiredText('reason', options?.reason, 2000);
    const by = optionalText('by', options?.by, 200) ?? 'unknown';
    return this.#change(tenant, name, version, lifeCycle.deprecate(tenant, name, version, reason, by));
  }

  /**
   * Returns to the previously active version.
   * @throws ConflictError when there is no earlier activation.
   */
  async rollback(tenant: string, name: string, options: ActorOptions = {}): Promise<VersionInfo> {
    assertTenantId(tenant);
    assertNodeName(name, this.#reserved);
    const by = optionalText('by', options.by, 200) ?? 'unknown';
    const { doc } = await this.#update(tenant, name, lifeCycle.rollback(tenant, name, by));
    return lifeCycle.versionInfo(doc!, doc!.active!);
  }

  /** The tenant's nodes, sorted by name; `options` pages through them. */
  async list(tenant: string, options: ListOptions = {}): Promise<NodeSummary[]> {
    assertTenantId(tenant);
    const { name, after, limit } = options;
    if (name !== undefined) assertNodeName(name);
    if (after !== undefined) assertNodeName(after);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      throw new InvalidInputError('list failed', `limit: ${typeof limit === 'number' ? limit : printable(limit)} is not a positive integer`, { context: { tenant }, hint: 'pass a whole number of nodes, e.g. `{ limit: 50 }`' });
    }
    let names = await this.#metadata.listNames(tenant);
    if (name !== undefined) names = names.filter((n) => n === name);
    if (after !== undefined) names = names.filter((n) => n > after);
    if (limit !== undefined) names = names.slice(0, limit);
    const docs = await this.#readIndexes(tenant, names);
    return docs
      .filter((d): d is IndexDocument => d !== undefined)
      .map((doc) => {
        const newestFirst = semver.rsort(Object.keys(doc.versions));
        const statuses: NodeSummary['statuses'] = {};
        for (const v of newestFirst) statuses[v] = lifeCycle.statusOf(doc, v);
        return { name: doc.name, active: doc.active, latest: newestFirst[0]!, versionCount: newestFirst.length, statuses };
      });
  }

  /** Every version of a node, newest first (semver order). */
  async versions(tenant: string, name: string): Promise<VersionInfo[]> {
    const doc = await this.#requireIndex(tenant, name);
    return semver.rsort(Object.keys(doc.versions)).map((v) => lifeCycle.versionInfo(doc, v));
  }

  /** One version's state and manifest. */
  async get(tenant: string, name: string, version: string): Promise<VersionDetails> {
    this.#assertIds(tenant, name, version);
    const doc = await this.#requireIndex(tenant, name);
    const info = this.#infoOrThrow(doc, version);
    const manifest = await this.#readManifest(tenant, name, version);
    if (!manifest) throw this.#missingObject(tenant, name, version, 'manifest.json');
    assertManifestIdentity(manifest, tenant, name, version, info.sha256);
    return { ...info, manifest };
  }

  /**
   * The uploaded source files of a version (path → text), each checked against the sha256 its
   * manifest recorded. Rejected versions are readable too: reviewers need to see why.
   * @throws NotFoundError, IntegrityError (a file is missing or was modified).
   */
  async sources(tenant: string, name: string, version: string): Promise<{ entry: string; files: Record<string, string> }> {
    const { manifest } = await this.get(tenant, name, version);
    const keys = versionKeys(tenant, name, version);
    const decoder = new TextDecoder();
    const texts = await mapBounded(manifest.files, 8, async (file) => {
      const found = await this.#storage.get(keys.source(file.path));
      if (!found) throw this.#missingObject(tenant, name, version, `source/${file.path}`);
      const actual = sha256Hex(found.body);
      if (actual !== file.sha256) {
        throw new IntegrityError('stored source does not match its manifest', file.sha256, actual, { context: { tenant, node: name, version, file: file.path } });
      }
      return decoder.decode(found.body);
    });
    const files: Record<string, string> = {};
    manifest.files.forEach((file, i) => (files[file.path] = texts[i]!));
    return { entry: manifest.entry, files };
  }

  /**
   * Resolves `'Name'` (the active version), `'Name@1.2.0'` or `'Name@^1.2'` (highest usable match).
   * A deprecated result carries a `warning`.
   * @throws NotFoundError listing the tenant's nodes when the name is unknown.
   */
  async resolve(tenant: string, spec: string): Promise<ResolvedNode> {
    assertTenantId(tenant);
    const parsed = parseNodeSpec(spec, this.#reserved);
    const doc = await this.#cachedIndex(tenant, parsed.name);
    if (!doc) throw await this.#unknownNode(tenant, parsed.name);
    return this.#resolved(doc, resolveInIndex(doc, parsed, this.#requireApproval));
  }

  /**
   * Every node of the tenant that has an active version, resolved to it (what `resolve('Name')`
   * answers for each), in name order — with one read of the tenant's index documents, not one
   * per node. A deprecated active version carries its `warning`.
   */
  async activeNodes(tenant: string): Promise<ResolvedNode[]> {
    assertTenantId(tenant);
    const names = await this.#metadata.listNames(tenant);
    const docs = this.#indexCache
      ? await this.#indexCache.readMany(tenant, names, (missing) => this.#readIndexes(tenant, missing))
      : await this.#readIndexes(tenant, names);
    const active = docs.filter((d): d is IndexDocument & { active: string } => d?.active != null);
    return mapBounded(active, 16, (doc) => this.#resolved(doc, resolveInIndex(doc, { name: doc.name, kind: 'active' }, this.#requireApproval)));
  }

  /** A node's index document for the hot path: from the index cache when there is one. */
  #cachedIndex(tenant: string, name: string): Promise<IndexDocument | undefined> {
    return this.#indexCache ? this.#indexCache.read(tenant, name) : this.#metadata.readIndex(tenant, name);
  }

  /** The index documents of `names` (`undefined` for a name without one), in one batch when the store can. */
  #readIndexes(tenant: string, names: string[]): Promise<Array<IndexDocument | undefined>> {
    if (this.#metadata.readIndexes) return this.#metadata.readIndexes(tenant, names);
    return mapBounded(names, 16, (name) => this.#metadata.readIndex(tenant, name));
  }

  /** A resolution of `doc` as the caller sees it, with the version's manifest (checked against the index). */
  async #resolved(doc: IndexDocument, { version, warning }: { version: string; warning?: string }): Promise<ResolvedNode> {
    const tenant = doc.tenantId;
    const manifest = await this.#readManifest(tenant, doc.name, version);
    if (!manifest) throw this.#missingObject(tenant, doc.name, version, 'manifest.json');
    const entry = doc.versions[version]!;
    assertManifestIdentity(manifest, tenant, doc.name, version, entry.sha256);
    const resolved: ResolvedNode = {
      tenantId: tenant,
      name: doc.name,
      version,
      sha256: entry.sha256,
      status: lifeCycle.statusOf(doc, version),
      metadata: manifest.metadata,
      metadataSource: manifest.metadataSource,
    };
    if (warning !== undefined) resolved.warning = warning;
    return resolved;
  }

  /**
   * Reads a version's bundle and source map and re-checks both against the manifest's sha256,
   * every time. Rejected versions are refused.
   * @throws IntegrityError naming tenant, node, version, expected and actual hash.
   */
  async loadBundle(tenant: string, name: string, version: string): Promise<RunnableBundle> {
    this.#assertIds(tenant, name, version);
    const keys = versionKeys(tenant, name, version);
    const [index, manifest, bundle, map] = await Promise.all([
      this.#cachedIndex(tenant, name),
      this.#readManifest(tenant, name, version),
      this.#storage.get(keys.bundle),
      this.#storage.get(keys.sourceMap),
    ]);
    if (!index) throw await this.#unknownNode(tenant, name);
    const info = this.#infoOrThrow(index, version);
    if (info.status === 'rejected') {
      throw new ConflictError('load failed', `${name}@${version} was rejected`, { context: { tenant, node: name, version }, hint: 'use another version' });
    }
    if (!manifest) throw this.#missingObject(tenant, name, version, 'manifest.json');
    assertManifestIdentity(manifest, tenant, name, version, info.sha256);
    const context = { tenant, node: name, version };
    const bundleSha = bundle ? sha256Hex(bundle.body) : 'absent';
    if (bundleSha !== manifest.sha256) {
      throw new IntegrityError('bundle integrity check failed', manifest.sha256, bundleSha, { context: { ...context, object: 'bundle.js' } });
    }
    const mapSha = map ? sha256Hex(map.body) : 'absent';
    if (mapSha !== manifest.sourceMapSha256) {
      throw new IntegrityError('source map integrity check failed', manifest.sourceMapSha256, mapSha, { context: { ...context, object: 'bundle.js.map' } });
    }
    const decoder = new TextDecoder();
    return { tenantId: tenant, node: name, version, sha256: manifest.sha256, code: decoder.decode(bundle!.body), sourceMap: decoder.decode(map!.body) };
  }

  /**
   * Records that `workflowId` uses these node versions (idempotent).
   * @throws NotFoundError when one of the versions was never published (nothing is recorded then).
   */
  async recordUsage(tenant: string, workflowId: string, nodes: ReadonlyArray<{ name: string; version: string }>): Promise<void> {
    assertTenantId(tenant);
    assertWorkflowId(workflowId);
    if (!Array.isArray(nodes) || nodes.length > MAX_USAGES_PER_CALL) {
      throw new InvalidInputError('recordUsage failed', `\`nodes\` must be an array of at most ${MAX_USAGES_PER_CALL} { name, version }`, { context: { tenant } });
    }
    for (const n of nodes) {
      assertNodeName(n?.name, this.#reserved);
      assertVersion(n.version);
    }
    // Only published versions: a usage of a version that does not exist is a caller's mistake
    // (and the Postgres store's dependency rows refer to version rows). Manifests are cached.
    await mapBounded(nodes, 16, async (n) => {
      if (!(await this.#readManifest(tenant, n.name, n.version))) {
        throw new NotFoundError('recordUsage failed', `tenant has no version ${n.name}@${n.version}`, { context: { tenant, node: n.name, version: n.version }, hint: 'record the versions the workflow resolved' });
      }
    });
    const at = new Date(this.#clock()).toISOString();
    await mapBounded(nodes, 16, (n) => this.#metadata.recordUsage(tenant, workflowId, n.name, n.version, at));
  }

  /** Workflows recorded as using a node (or one version of it). */
  async usages(tenant: string, name: string, version?: string): Promise<UsageRecord[]> {
    assertTenantId(tenant);
    assertNodeName(name, this.#reserved);
    if (version !== undefined) assertVersion(version);
    return this.#metadata.readUsages(tenant, name, version);
  }

  /**
   * The tenant's audit events, oldest first. Events a crash left only in an index document
   * (after its CAS, before its event write) are written and included.
   */
  async audit(tenant: string, query: AuditQuery = {}): Promise<AuditEvent[]> {
    assertTenantId(tenant);
    if (query.node !== undefined) assertNodeName(query.node);
    if (query.after !== undefined && auditEventNode(query.after) === undefined) {
      throw new InvalidInputError('audit query rejected', `after: ${printable(query.after)} is not an audit event id`, { context: { tenant }, hint: 'pass the `id` of the last event of the previous page' });
    }
    return this.#metadata.readAudit(tenant, query);
  }

  #requireInspector(tenant: string, name: string, version: string): NodeInspector {
    if (this.#inspector) return this.#inspector;
    throw new InvalidInputError('publish failed', 'this registry has no `inspector`, so it cannot read the node\'s metadata and props schema', {
      context: { tenant, node: name, version },
      hint: 'publish through `PluginHost` (`host.registry.publish`), or pass `{ inspector: await host.nodeRunner() }` to `new TenantRegistry`',
    });
  }

  /** Writes a new version: the manifest first (it claims the version), then its objects, then the index entry. */
  async #store(tenant: string, manifest: NodeManifest, upload: CheckedUpload, compiled: CompiledNode): Promise<PublishResult> {
    const { name, version } = manifest;
    // A concurrent publisher of the same version either sees our manifest (and compares) or we see theirs.
    const bundleKey = versionKeys(tenant, name, version).bundle;
    const bundleUrl = this.#storage.objectUrl?.(bundleKey) ?? `${this.#storage.name}:///${bundleKey}`;
    const raced = await this.#metadata.claimVersion(manifest, { files: upload.files, bundleUrl });
    if (raced) {
      assertManifestIdentity(raced, tenant, name, version);
      this.#manifests.set(cacheKey(tenant, name, version), raced);
      return this.#republish(tenant, raced, upload, compiled);
    }
    this.#manifests.set(cacheKey(tenant, name, version), manifest);
    await this.#writeArtifacts(tenant, manifest, upload.files, compiled);
    const { doc } = await this.#update(tenant, name, lifeCycle.addVersion(tenant, name, entryFromManifest(manifest)));
    return { created: true, manifest, info: lifeCycle.versionInfo(doc!, version) };
  }

  #assertIds(tenant: string, name: string, version: string): void {
    assertTenantId(tenant);
    assertNodeName(name, this.#reserved);
    assertVersion(version);
  }

  async #change(tenant: string, name: string, version: string, change: IndexChange): Promise<VersionInfo> {
    const { doc } = await this.#update(tenant, name, change);
    if (!doc) throw await this.#unknownNode(tenant, name);
    return lifeCycle.versionInfo(doc, version);
  }

  async #update(tenant: string, name: string, change: IndexChange) {
    const result = await this.#metadata.updateIndex(tenant, name, change, this.#clock);
    if (result.doc && result.event) this.#indexCache?.changed(result.doc);
    return result;
  }

  async #requireIndex(tenant: string, name: string): Promise<IndexDocument> {
    assertTenantId(tenant);
    assertNodeName(name, this.#reserved);
    const doc = await this.#metadata.readIndex(tenant, name);
    if (!doc) throw await this.#unknownNode(tenant, name);
    return doc;
  }

  #infoOrThrow(doc: IndexDocument, version: string): VersionInfo {
    if (!Object.hasOwn(doc.versions, version)) {
      throw new NotFoundError('version not found', `${doc.name} has no version ${version}`, {
        context: { tenant: doc.tenantId, node: doc.name, version },
        hint: `published versions: ${semver.rsort(Object.keys(doc.versions)).slice(0, MAX_NAMES_IN_HINT).join(', ')}`,
      });
    }
    return lifeCycle.versionInfo(doc, version);
  }

  async #unknownNode(tenant: string, name: string): Promise<NotFoundError> {
    const names = await this.#metadata.listNames(tenant);
    const shown = names.slice(0, MAX_NAMES_IN_HINT).join(', ') + (names.length > MAX_NAMES_IN_HINT ? ` (and ${names.length - MAX_NAMES_IN_HINT} more)` : '');
    return new NotFoundError('node not found', `tenant has no node ${printable(name)}`, {
      context: { tenant, node: name },
      hint: names.length ? `available nodes: ${shown}` : 'this tenant has not published any node yet',
    });
  }

  #missingObject(tenant: string, name: string, version: string, object: string): IntegrityError {
    return new IntegrityError('stored version is incomplete', 'present', 'absent', { context: { tenant, node: name, version, object } });
  }

  async #readManifest(tenant: string, name: string, version: string): Promise<NodeManifest | undefined> {
    const key = cacheKey(tenant, name, version);
    const cached = this.#manifests.get(key);
    if (cached) return cached;
    const found = await this.#metadata.readManifest(tenant, name, version);
    if (!found) return undefined;
    assertManifestIdentity(found, tenant, name, version);
    this.#manifests.set(key, found);
    return found;
  }

  /** The version's manifest exists: same upload → make sure every object and the index entry exist. */
  async #republish(tenant: string, manifest: NodeManifest, upload: CheckedUpload, compiled?: CompiledNode): Promise<PublishResult> {
    const { name, version } = manifest;
    if (manifest.sourceSha256 !== upload.sourceSha256) {
      throw new ConflictError('publish failed', 'version already exists with different content', {
        context: { tenant, node: name, version },
        hint: 'bump the version',
      });
    }
    const keys = versionKeys(tenant, name, version);
    const [bundle, map] = await Promise.all([this.#storage.get(keys.bundle), this.#storage.get(keys.sourceMap)]);
    if (!bundle || !map) {
      // A publisher crashed between the manifest and the bundle: finish its work.
      // Scan findings never block finishing a version that was already accepted.
      const fresh = compiled ?? (await compileNode({ name, version, upload }, { ...this.#compile, blockOn: {} }));
      if (fresh.sha256 !== manifest.sha256) {
        throw new IntegrityError('cannot complete an interrupted publish', manifest.sha256, fresh.sha256, {
          context: { tenant, node: name, version },
          hint: 'the compiler changed since the first attempt; publish under a new version',
        });
      }
      await this.#writeArtifacts(tenant, manifest, upload.files, fresh);
    } else {
      await this.#writeSources(tenant, manifest, upload.files);
    }
    const { doc } = await this.#update(tenant, name, lifeCycle.addVersion(tenant, name, entryFromManifest(manifest)));
    return { created: false, manifest, info: lifeCycle.versionInfo(doc!, version) };
  }

  async #writeArtifacts(tenant: string, manifest: NodeManifest, files: Readonly<Record<string, string>>, compiled: CompiledNode): Promise<void> {
    const keys = versionKeys(tenant, manifest.name, manifest.version);
    const ctx = { tenant, node: manifest.name, version: manifest.version };
    const encoder = new TextEncoder();
    await Promise.all([
      putImmutable(this.#storage, keys.bundle, encoder.encode(compiled.bundle), ctx),
      putImmutable(this.#storage, keys.sourceMap, encoder.encode(compiled.sourceMap), ctx),
      this.#writeSources(tenant, manifest, files),
    ]);
  }

  async #writeSources(tenant: string, manifest: NodeManifest, files: Readonly<Record<string, string>>): Promise<void> {
    const keys = versionKeys(tenant, manifest.name, manifest.version);
    const ctx = { tenant, node: manifest.name, version: manifest.version };
    const encoder = new TextEncoder();
    await mapBounded(Object.keys(files), 8, (path) => putImmutable(this.#storage, keys.source(path), encoder.encode(files[path]!), ctx));
  }
}

function cacheKey(tenant: string, name: string, version: string): string {
  return `${tenant}/${name}/${version}`;
}

/** The freshly compiled bundle as the sandbox runs it. */
function runnable(tenantId: string, compiled: CompiledNode): RunnableBundle {
  return { tenantId, node: compiled.name, version: compiled.version, sha256: compiled.sha256, code: compiled.bundle, sourceMap: compiled.sourceMap };
}

function entryFromManifest(m: NodeManifest) {
  const entry: { version: string; sha256: string; publishedAt: string; publishedBy?: string } = {
    version: m.version,
    sha256: m.sha256,
    publishedAt: m.publishedAt,
  };
  if (m.author !== undefined) entry.publishedBy = m.author;
  return entry;
}
