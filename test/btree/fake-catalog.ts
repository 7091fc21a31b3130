/** An in-memory TenantNodeCatalog for the binding's unit tests. */
import semver from 'semver';
import type { ResolvedTenantNode, TenantNodeCatalog } from '../../src/btree/register-nodes.js';
import type { NodeMetadata } from '../../src/binding-core/types.js';
import type { RunnableBundle } from '../../src/sandbox/types.js';
import { fakeBundle } from './fake-runner.js';

export interface FakeVersion {
  name: string;
  version: string;
  /** Name of the FakeRunner behaviour the bundle runs. */
  behaviour: string;
  metadata?: Partial<NodeMetadata>;
  active?: boolean;
  deprecated?: string;
}

export class FakeCatalog implements TenantNodeCatalog {
  loads = 0;
  failNextLoad = false;
  constructor(readonly tenants: Record<string, FakeVersion[]>) {}

  #resolved(tenantId: string, v: FakeVersion): ResolvedTenantNode {
    return {
      name: v.name,
      version: v.version,
      sha256: fakeBundle(tenantId, v.name, v.version, v.behaviour).sha256,
      metadata: { category: 'action', ports: [], ...v.metadata },
      ...(v.deprecated ? { warnings: [`${v.name}@${v.version} is deprecated: ${v.deprecated}`] } : {}),
    };
  }

  async activeNodes(tenantId: string): Promise<ResolvedTenantNode[]> {
    return (this.tenants[tenantId] ?? []).filter((v) => v.active).map((v) => this.#resolved(tenantId, v));
  }

  async resolve(tenantId: string, spec: string): Promise<ResolvedTenantNode> {
    const [name, range] = spec.split('@') as [string, string | undefined];
    const versions = (this.tenants[tenantId] ?? []).filter((v) => v.name === name);
    const match = range === undefined ? versions.find((v) => v.active) : versions.find((v) => v.version === semver.maxSatisfying(versions.map((x) => x.version), range));
    if (!match) throw new Error(`no version of ${name} matches ${spec} for tenant ${tenantId}`);
    return this.#resolved(tenantId, match);
  }

  async loadBundle(tenantId: string, name: string, version: string): Promise<RunnableBundle> {
    this.loads++;
    if (this.failNextLoad) {
      this.failNextLoad = false;
      throw new Error('storage hiccup');
    }
    const v = (this.tenants[tenantId] ?? []).find((x) => x.name === name && x.version === version);
    if (!v) throw new Error(`unknown ${name}@${version}`);
    return fakeBundle(tenantId, name, version, v.behaviour);
  }
}
