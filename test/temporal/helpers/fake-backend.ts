/**
 * An in-memory {@link PluginActivitiesBackend} for tests of the Temporal layer on its own: tenant
 * "nodes" are plain functions standing in for sandboxed bundles, versions are activated by hand.
 */
import { createHash } from 'node:crypto';
import { NotFoundError } from '../../../src/errors.js';
import type { InterpreterEngine, InterpreterLanguage } from '../../../src/binding-core/interpreter-types.js';
import type { NodeRunner, RunnableBundle, TickInput, TickOutcome } from '../../../src/sandbox/types.js';
import type { PluginActivitiesBackend, ResolvedVersion } from '../../../src/temporal/activities.js';

/** A fake node version: its tick is a host function. */
export interface FakeVersion {
  name: string;
  version: string;
  category?: 'action' | 'condition';
  propsSchema?: Record<string, never> | Record<string, unknown>;
  tick: (input: TickInput) => Promise<TickOutcome> | TickOutcome;
}

export class FakeBackend implements PluginActivitiesBackend {
  readonly versions = new Map<string, FakeVersion>();
  readonly active = new Map<string, string>(); // tenant/name → version
  readonly usage: Array<{ tenantId: string; workflowId: string; nodes: Array<{ name: string; version: string }> }> = [];
  readonly engines: Partial<Record<InterpreterLanguage, InterpreterEngine>> = {};
  /** Set to make the next loadBundle calls throw. */
  loadError: Error | undefined;
  /** sha256 override for loadBundle, to simulate tampering. */
  shaOverride: string | undefined;

  publish(tenantId: string, v: FakeVersion, activate = true): void {
    this.versions.set(`${tenantId}/${v.name}@${v.version}`, v);
    if (activate) this.active.set(`${tenantId}/${v.name}`, v.version);
  }

  static sha(tenantId: string, name: string, version: string): string {
    return createHash('sha256').update(`${tenantId}/${name}@${version}`).digest('hex');
  }

  async activeNodes(tenantId: string): Promise<ResolvedVersion[]> {
    const names = [...this.active.keys()].filter((k) => k.startsWith(`${tenantId}/`)).map((k) => k.slice(tenantId.length + 1));
    return Promise.all(names.map((name) => this.resolve(tenantId, name)));
  }

  async resolve(tenantId: string, ref: string): Promise<ResolvedVersion> {
    const [name, range] = ref.split('@') as [string, string | undefined];
    const version = range ?? this.active.get(`${tenantId}/${name}`);
    const v = version && this.versions.get(`${tenantId}/${name}@${version}`);
    if (!v) throw new NotFoundError(`resolve failed [tenant=${tenantId}, ref=${ref}]`, 'no such node version');
    const out: ResolvedVersion = { name, version: v.version, sha256: FakeBackend.sha(tenantId, name, v.version), category: v.category ?? 'action' };
    if (v.propsSchema) out.propsSchema = v.propsSchema as ResolvedVersion['propsSchema'];
    return out;
  }

  async loadBundle(tenantId: string, name: string, version: string): Promise<RunnableBundle> {
    if (this.loadError) throw this.loadError;
    if (!this.versions.has(`${tenantId}/${name}@${version}`)) throw new NotFoundError(`load failed [tenant=${tenantId}]`, 'no such version');
    return { tenantId, node: name, version, sha256: this.shaOverride ?? FakeBackend.sha(tenantId, name, version), code: `/* ${name}@${version} */` };
  }

  runner(): NodeRunner {
    return this.fakeRunner;
  }

  readonly fakeRunner: NodeRunner = {
    inspect: async () => ({ category: 'action', ports: [] }),
    tick: async (bundle, input) => {
      const v = this.versions.get(`${bundle.tenantId}/${bundle.node}@${bundle.version}`);
      if (!v) throw new Error('unknown bundle');
      return v.tick(input);
    },
    dispose: async () => {},
  };

  engine(language: InterpreterLanguage): InterpreterEngine | undefined {
    return this.engines[language];
  }

  async recordUsage(tenantId: string, workflowId: string, nodes: Array<{ name: string; version: string }>): Promise<void> {
    this.usage.push({ tenantId, workflowId, nodes });
  }
}

/** A tick outcome with defaults. */
export function outcome(partial: Partial<TickOutcome> = {}): TickOutcome {
  return { status: 'SUCCESS', writes: {}, deletes: [], logs: [], ...partial };
}
