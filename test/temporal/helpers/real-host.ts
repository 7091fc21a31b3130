/**
 * A worker-side host built from the real parts: a PluginHost (TenantRegistry over memory storage,
 * the isolated-vm SandboxPool with recording capabilities, the QuickJS and Pyodide engines). Used by the end-to-end
 * Temporal suites.
 */
import { readFileSync } from 'node:fs';
import { PluginHost } from '../../../src/plugin-host.js';
import type { Capability } from '../../../src/sandbox/tenant-sandbox.js';
import { MemoryStorage } from '../../../src/storage-adapters/memory.js';
import type { StorageAdapter } from '../../../src/storage-adapters/types.js';
import { createPluginActivities } from '../../../src/temporal/activities.js';
import { testHost } from '../../setup/btree-module.js';
import type { BtreeModule } from '../../../src/binding-core/host-btree.js';

/** The seed's node sources (test/fixtures/nodes). */
export const fixture = (file: string): string => readFileSync(new URL(`../../fixtures/nodes/${file}`, import.meta.url), 'utf8');

/** One capability call, as recorded. */
export interface Call {
  capability: string;
  node: string;
  version: string;
  args: unknown[];
}

export interface RealHost {
  host: PluginHost;
  calls: Call[];
  activities: ReturnType<typeof createPluginActivities>;
  publishActive(name: string, version: string, source: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Builds the real host; `extraCapabilities` are added to the recording ones. */
export function realHost(options: { storage?: StorageAdapter; capabilities?: Record<string, Capability>; onCall?: (call: Call) => void } = {}): RealHost {
  const calls: Call[] = [];
  const record = (capability: string) => (ctx: { node: string; version: string }, args: unknown[]) => {
    const call = { capability, node: ctx.node, version: ctx.version, args };
    calls.push(call);
    options.onCall?.(call);
  };
  const host = new PluginHost({
    btree: testHost as unknown as BtreeModule,
    storage: options.storage ?? new MemoryStorage(),
    interpreters: { javascript: true, python: true },
    capabilities: {
      sendSlackMessage: async (ctx, ...args) => {
        record('sendSlackMessage')(ctx, args);
      },
      createJiraTicket: async (ctx, project) => {
        record('createJiraTicket')(ctx, [project]);
        return { key: `${String(project)}-${calls.length}` };
      },
      ...options.capabilities,
    },
  });
  const activities = createPluginActivities(host);
  return {
    host,
    calls,
    activities,
    async publishActive(name, version, source) {
      await host.registry.publish('acme', { name, version, source, author: 'ana' });
      await host.registry.approve('acme', name, version, { by: 'reviewer' });
      await host.registry.activate('acme', name, version, { by: 'ana' });
    },
    async dispose() {
      await host.dispose();
    },
  };
}
