/**
 * Demo step 2: the tenant registry — publish the seed's `SendSlackMessage` and a `CreateJiraTicket`
 * in the same style for tenant `acme`, approve, activate and list them. Re-running is safe:
 * republishing identical content is idempotent, and approving/activating again are no-ops.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ConflictError, type PluginHost } from '../../src/index.js';
import { say, show } from './print.js';

/** The tenant nodes the demo publishes (sources are the test fixtures; SendSlackMessage is the seed's, byte for byte). */
export const DEMO_NODES = [
  { name: 'SendSlackMessage', version: '1.0.0', file: 'send-slack-message.ts', description: "the seed's example custom node" },
  { name: 'CreateJiraTicket', version: '1.0.0', file: 'create-jira-ticket.ts', description: 'a second node in the same style' },
] as const;

/** Runs step 2 for `tenant`. */
export async function registryStep(registry: PluginHost['registry'], tenant: string): Promise<void> {
  for (const node of DEMO_NODES) {
    const source = await readFile(new URL(`../../test/fixtures/nodes/${node.file}`, import.meta.url), 'utf8');
    const published = await registry
      .publish(tenant, { name: node.name, version: node.version, source, description: node.description, author: 'demo' })
      .catch((e: unknown) => {
        // Versions are immutable: a store written by an older demo with other sources refuses the upload.
        if (!(e instanceof ConflictError)) throw e;
        throw new Error(`${e.message.split('\n')[0]} — the data directory holds another ${node.name}@${node.version} from an earlier demo; delete the data directory printed above and run again`, { cause: e });
      });
    const m = published.manifest;
    say(`  publish ${tenant}/${node.name}@${node.version}: ${published.created ? 'published' : 'already published with identical content (idempotent)'}`);
    say(`    sha256 ${m.sha256.slice(0, 16)}…, bundle ${m.sizes.bundleBytes} B, imports [${m.imports.join(', ')}], category ${m.metadata.category}, scan findings ${m.findings.length}`);

    const before = published.info;
    const approved = await registry.approve(tenant, node.name, node.version, { by: 'reviewer', note: 'reviewed in the demo' });
    say(`    approve: ${before.review === 'approved' ? 'already approved (no-op)' : `${before.status} -> ${approved.status}`}`);
    const activated = await registry.activate(tenant, node.name, node.version, { by: 'demo' });
    say(`    activate: ${approved.active ? 'already active (no-op)' : `${approved.status} -> ${activated.status}`}`);
  }
  const listed = await registry.list(tenant);
  show(`list ${tenant}`, listed.map((n) => ({ name: n.name, active: n.active, versions: n.statuses })));
}
