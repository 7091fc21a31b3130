/**
 * A store as a deploy target (`--store fs:<dir>`, `s3://bucket/prefix`, `gs://bucket/prefix`): the
 * CLI opens the storage adapter and a `TenantRegistry` over it, with an isolated-vm sandbox to
 * inspect uploads, exactly as a host's registry publishes; the marketplace commands act on a
 * `Marketplace` over the same adapter and registry, as a `PluginHost` with the default catalogue
 * store does. For operators and single-machine setups; tenants go through the API.
 *
 * @module
 */
import { resolve } from 'node:path';
import { DisposedError, isBtreePluginsError } from '../../errors.js';
import { Marketplace } from '../../marketplace/marketplace.js';
import type { SearchQuery } from '../../marketplace/types.js';
import { resolveLimits } from '../../sandbox/limits.js';
import { SandboxPool } from '../../sandbox/pool.js';
import type { StorageAdapter } from '../../storage-adapters/types.js';
import { TenantRegistry } from '../../registry/tenant-registry.js';
import type { VersionInfo } from '../../registry/types.js';
import { cliErrorOf, CliError, EXIT } from '../output.js';
import { installRecord } from '../../http/marketplace-records.js';
import { listedVersionOf, listingSummary } from './target.js';
import type { InstallRecord, ListedVersion, ListingPage, ListVersionRequest, NodeListing, Target, TargetTenant, UploadInput, VersionRecord } from './target.js';

/** The environment variable that points `gs://` stores at a GCS emulator's API endpoint. */
export const GCS_ENDPOINT_ENV = 'BTREE_PLUGINS_GCS_ENDPOINT';

/** A parsed `--store` location. */
export type StoreLocation = { kind: 'fs'; root: string } | { kind: 's3' | 'gs'; bucket: string; prefix: string };

/** Parses `fs:<dir>`, `s3://bucket/prefix` or `gs://bucket/prefix`. */
export function parseStoreLocation(text: string, cwd: string): StoreLocation {
  const usage = (why: string) =>
    new CliError(`--store ${JSON.stringify(text)} ${why}`, EXIT.usage, 'use fs:<dir>, s3://bucket/prefix or gs://bucket/prefix');
  if (text.startsWith('fs:')) {
    const dir = text.slice(3);
    if (!dir) throw usage('names no directory');
    return { kind: 'fs', root: resolve(cwd, dir) };
  }
  const m = /^(s3|gs):\/\/([a-z0-9][a-z0-9._-]{1,220})(?:\/(.*))?$/.exec(text);
  if (!m) throw usage('is not a store location');
  // The adapters take a prefix that is '' or ends with '/': `s3://b/nodes` and `s3://b/nodes/` are the same place.
  const prefix = (m[3] ?? '').replace(/\/+$/, '');
  return { kind: m[1] as 's3' | 'gs', bucket: m[2]!, prefix: prefix ? `${prefix}/` : '' };
}

/** Opens the adapter of a location; S3 and GCS clients take their settings from the environment. */
async function openStorage(location: StoreLocation, env: NodeJS.ProcessEnv): Promise<StorageAdapter> {
  if (location.kind === 'fs') {
    const { FsStorage } = await import('../../storage-adapters/fs.js');
    return new FsStorage({ root: location.root });
  }
  if (location.kind === 's3') {
    const { S3Storage } = await import('../../storage-adapters/s3.js');
    // The SDK reads region and credentials from the environment; an endpoint (a local S3) needs path-style URLs.
    const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    return new S3Storage({ bucket: location.bucket, prefix: location.prefix, client: endpoint ? { endpoint, forcePathStyle: true } : {} });
  }
  const { GcsStorage } = await import('../../storage-adapters/gcs.js');
  // An emulator (fake-gcs-server) is named by its API endpoint: the Node client's own
  // STORAGE_EMULATOR_HOST is experimental and builds request URLs that emulators do not serve.
  const endpoint = env[GCS_ENDPOINT_ENV];
  return new GcsStorage({ bucket: location.bucket, prefix: location.prefix, storage: endpoint ? { apiEndpoint: endpoint } : {} });
}

/** Options of {@link StoreTarget.open}. */
export interface StoreTargetOptions {
  location: StoreLocation;
  label: string;
  tenantId: string;
  userId: string;
  env: NodeJS.ProcessEnv;
  /** The host's policy for this store (the CLI cannot read it from a store): default true. */
  requireApproval: boolean;
}

/** A store opened by the CLI. */
export class StoreTarget implements Target {
  readonly label: string;
  readonly #o: StoreTargetOptions;
  readonly #storage: StorageAdapter;
  readonly #pool: SandboxPool;
  readonly #registry: TenantRegistry;
  #marketplace: Marketplace | undefined;

  private constructor(o: StoreTargetOptions, storage: StorageAdapter) {
    this.label = o.label;
    this.#o = o;
    this.#storage = storage;
    this.#pool = new SandboxPool({ maxIsolates: 1 });
    this.#registry = new TenantRegistry({ storage, inspector: this.#pool, requireApproval: o.requireApproval });
  }

  static async open(o: StoreTargetOptions): Promise<StoreTarget> {
    try {
      return new StoreTarget(o, await openStorage(o.location, o.env));
    } catch (e) {
      throw cliErrorOf(e, EXIT.remote);
    }
  }

  async tenant(): Promise<TargetTenant> {
    return {
      tenantId: this.#o.tenantId,
      userId: this.#o.userId,
      requireApproval: this.#registry.requireApproval,
      compile: this.#registry.compilePolicy,
      sandbox: resolveLimits(),
      limitsFrom: 'the library defaults (a store does not hold the host\'s limits; use --api to read them)',
    };
  }

  async upload(input: UploadInput): Promise<{ created: boolean; record: VersionRecord }> {
    const r = await this.#do(() =>
      this.#registry.publish(this.#o.tenantId, {
        name: input.name,
        version: input.version,
        files: input.files,
        entry: input.entry,
        author: this.#o.userId,
        ...(input.description !== undefined ? { description: input.description } : {}),
      }),
    );
    return { created: r.created, record: record(r.info) };
  }

  async list(): Promise<NodeListing[]> {
    const nodes = await this.#do(() => this.#registry.list(this.#o.tenantId));
    return nodes.map((n) => ({ name: n.name, active: n.active, latest: n.latest, versions: Object.entries(n.statuses).map(([version, status]) => ({ version, status })) }));
  }

  async approve(name: string, version: string, note?: string): Promise<VersionRecord> {
    return record(await this.#do(() => this.#registry.approve(this.#o.tenantId, name, version, note === undefined ? { by: this.#o.userId } : { by: this.#o.userId, note })));
  }

  async activate(name: string, version: string): Promise<VersionRecord> {
    return record(await this.#do(() => this.#registry.activate(this.#o.tenantId, name, version, { by: this.#o.userId })));
  }

  async deprecate(name: string, version: string, message: string): Promise<VersionRecord> {
    return record(await this.#do(() => this.#registry.deprecate(this.#o.tenantId, name, version, { reason: message, by: this.#o.userId })));
  }

  async rollback(name: string): Promise<VersionRecord> {
    return record(await this.#do(() => this.#registry.rollback(this.#o.tenantId, name, { by: this.#o.userId })));
  }

  async searchListings(query: SearchQuery): Promise<ListingPage> {
    const page = await this.#do(() => this.#market().search(query, { tenantId: this.#o.tenantId }));
    return { listings: page.listings.map(listingSummary), nextCursor: page.nextCursor ?? null };
  }

  async listVersion(request: ListVersionRequest): Promise<ListedVersion> {
    const listing = await this.#do(() => this.#market().listVersion(this.#actor(), request));
    const versions = listing.versions.map((v) => ({ ...v, source: `${v.listedFrom.name}@${v.listedFrom.version}` }));
    return listedVersionOf({ ...listing, versions }, request.source.slice(request.source.indexOf('@') + 1));
  }

  async install(listingId: string, options: { version?: string; as?: string }): Promise<InstallRecord> {
    return installRecord(await this.#do(() => this.#market().install(this.#actor(), listingId, options)));
  }

  /** The catalogue in the store's adapter, next to the registry (a `PluginHost`'s default). */
  #market(): Marketplace {
    return (this.#marketplace ??= new Marketplace({ storage: this.#storage, registry: this.#registry }));
  }

  #actor(): { tenantId: string; userId: string } {
    return { tenantId: this.#o.tenantId, userId: this.#o.userId };
  }

  async close(): Promise<void> {
    await this.#registry.close();
    await this.#pool.dispose();
    await this.#storage.dispose();
  }

  async #do<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof DisposedError) throw e;
      // The CLI validates before it uploads, so this is rare: a compiler or limit that differs here.
      throw cliErrorOf(e, isBtreePluginsError(e, 'CompileError') ? EXIT.failed : EXIT.remote);
    }
  }
}

function record(v: VersionInfo): VersionRecord {
  return { id: `${v.name}@${v.version}`, name: v.name, version: v.version, status: v.status, active: v.active, sha256: v.sha256, createdBy: v.publishedBy ?? null, createdAt: v.publishedAt };
}
