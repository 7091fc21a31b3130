/**
 * The host's `PluginHost` as a worker builds it: storage, the capabilities tenant nodes may call,
 * and the interpreter nodes. One per worker process.
 *
 * @module
 */
import * as btree from '../../src/testing/index.js'; // real host: import * as btree from '@wayfarer-ai/btree';
import type { BtreeModule } from '../../src/binding-core/host-btree.js';
import { PluginHost } from '../../src/plugin-host.js'; // import { PluginHost } from '@wayfarer-ai/btree-plugins';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';

/** A PluginHost whose capabilities print what they would do (wire your Slack/Jira clients here). */
export function createExampleHost(storage: StorageAdapter, log: (line: string) => void = console.log): PluginHost {
  return new PluginHost({
    btree: btree as unknown as BtreeModule, // the real btree module needs no cast
    storage,
    interpreters: { javascript: true, python: true },
    capabilities: {
      sendSlackMessage: async (ctx, channel, message) => {
        log(`[slack] ${ctx.tenantId}/${ctx.node}@${ctx.version} → ${String(channel)}: ${String(message)}`);
      },
      createJiraTicket: async (ctx, project, summary) => {
        log(`[jira] ${ctx.tenantId}/${ctx.node}@${ctx.version} → ${String(project)}: ${String(summary)}`);
        return { key: `${String(project)}-1` };
      },
    },
  });
}
