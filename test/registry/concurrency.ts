/**
 * A reusable concurrency scenario for the registry over any storage adapter: many actors, each
 * with its own `TenantRegistry` (as separate processes would have), publish, approve and
 * activate concurrently; afterwards nothing may be lost or torn.
 *
 * It has no vitest dependency so that child processes can run the actors (the fs two-process
 * variant) and so that the lead can run it against S3 and GCS adapters:
 *
 * ```ts
 * await registryConcurrencyScenario(() => new S3Storage({ … same bucket … }));
 * ```
 */
import type { MetadataStore } from '../../src/registry/metadata-store.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import { fixedInspector } from './helpers.js';

/** What the scenario works on. */
export interface ConcurrencyOptions {
  tenant?: string;
  node?: string;
  /** Actor numbers; actor `i` publishes version `1.<i>.0` (default 0…19). */
  actorIds?: number[];
  /** Each actor's (and the checker's) own metadata store, as separate processes would have; default: the documents in the storage adapter. */
  makeMetadata?: () => MetadataStore | Promise<MetadataStore>;
}

const defaults = { tenant: 'race', node: 'RaceNode' } as const;

/** The node every actor publishes (its version differs; the source also names the actor). */
export function actorSource(node: string, i: number): string {
  return [
    "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';",
    `export default class ${node} extends ActionNode {`,
    '  protected async executeTick(): Promise<NodeStatus> {',
    `    return ${i} >= 0 ? NodeStatus.SUCCESS : NodeStatus.FAILURE;`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Version published by actor `i`. */
export function actorVersion(i: number): string {
  return `1.${i}.0`;
}

/**
 * Runs the actors concurrently. Each gets its own registry over `makeStorage()` and does
 * publish → approve → activate of its own version.
 */
export async function runConcurrencyActors(
  makeStorage: () => StorageAdapter | Promise<StorageAdapter>,
  options: ConcurrencyOptions = {},
): Promise<void> {
  const tenant = options.tenant ?? defaults.tenant;
  const node = options.node ?? defaults.node;
  const ids = options.actorIds ?? Array.from({ length: 20 }, (_, i) => i);
  const storages: StorageAdapter[] = [];
  try {
    await Promise.all(
      ids.map(async (i) => {
        const storage = await makeStorage();
        storages.push(storage);
        const metadata = options.makeMetadata ? await options.makeMetadata() : undefined;
        const registry = new TenantRegistry({ storage, inspector: fixedInspector(), ...(metadata ? { metadata } : {}) });
        const version = actorVersion(i);
        await registry.publish(tenant, { name: node, version, source: actorSource(node, i), author: `actor-${i}` });
        await registry.approve(tenant, node, version, { by: `reviewer-${i}` });
        await registry.activate(tenant, node, version, { by: `actor-${i}` });
      }),
    );
  } finally {
    await Promise.all(storages.map((s) => s.dispose()));
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`registry concurrency check failed: ${message}`);
}

/**
 * Checks the outcome of {@link runConcurrencyActors}: every version is in the index and
 * approved, every change has exactly one audit event (revisions 1…3n with no gap), the
 * activation chain is consistent (each activation's `from` is the previous one's `to`), and
 * the active version is the last one activated and loads with a valid hash.
 */
export async function verifyConcurrencyOutcome(storage: StorageAdapter, options: ConcurrencyOptions = {}): Promise<void> {
  const tenant = options.tenant ?? defaults.tenant;
  const node = options.node ?? defaults.node;
  const ids = options.actorIds ?? Array.from({ length: 20 }, (_, i) => i);
  const metadata = options.makeMetadata ? await options.makeMetadata() : undefined;
  const registry = new TenantRegistry({ storage, ...(metadata ? { metadata } : {}) });
  const versions = await registry.versions(tenant, node);
  const expected = ids.map(actorVersion).sort();
  check(JSON.stringify(versions.map((v) => v.version).sort()) === JSON.stringify(expected), `index lists ${versions.length} of ${ids.length} versions`);
  check(versions.every((v) => v.review === 'approved'), 'a version lost its approval');

  const events = (await registry.audit(tenant)).filter((e) => e.node === node);
  check(events.length === ids.length * 3, `audit has ${events.length} events, expected ${ids.length * 3}`);
  const revisions = events.map((e) => e.revision).sort((a, b) => a - b);
  check(revisions.every((r, i) => r === i + 1), `audit revisions are not 1…${ids.length * 3}: ${revisions.join(',')}`);
  check(new Set(events.map((e) => e.id)).size === events.length, 'duplicate audit ids');
  for (const action of ['publish', 'approve', 'activate'] as const) {
    const got = events.filter((e) => e.action === action).map((e) => e.version).sort();
    check(JSON.stringify(got) === JSON.stringify(expected), `audit is missing ${action} events`);
  }
  const activations = events.filter((e) => e.action === 'activate').sort((a, b) => a.revision - b.revision);
  let previous: string | null = null;
  for (const a of activations) {
    check(a.from === previous, `activation of ${a.version} says it replaced ${a.from}, but ${previous} was active`);
    previous = a.to;
  }
  const active = versions.find((v) => v.active);
  check(active !== undefined && active.version === previous, `active version ${active?.version} is not the last activated (${previous})`);
  const bundle = await registry.loadBundle(tenant, node, active.version);
  check(bundle.sha256 === active.sha256, 'active bundle hash differs from the index');
}

/** Runs the whole scenario in this process: actors over `makeStorage()`, then the checks. */
export async function registryConcurrencyScenario(
  makeStorage: () => StorageAdapter | Promise<StorageAdapter>,
  options: ConcurrencyOptions = {},
): Promise<void> {
  await runConcurrencyActors(makeStorage, options);
  const storage = await makeStorage();
  try {
    await verifyConcurrencyOutcome(storage, options);
  } finally {
    await storage.dispose();
  }
}
