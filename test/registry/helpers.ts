/**
 * Shared fixtures of the registry tests: a registry over a fresh memory store, a fixed clock,
 * and small valid node sources.
 */
import { readFileSync } from 'node:fs';
import { TenantRegistry, type TenantRegistryOptions } from '../../src/registry/tenant-registry.js';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';

/** The seed's example node, unchanged. */
export const SEND_SLACK_SOURCE = readFileSync(new URL('../fixtures/nodes/send-slack-message.ts', import.meta.url), 'utf8');

/** A minimal valid node named `name`; `variant` changes the content. */
export function nodeSource(name: string, variant = 0): string {
  return [
    "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';",
    `export default class ${name} extends ActionNode {`,
    '  protected async executeTick(): Promise<NodeStatus> {',
    `    return ${variant} >= 0 ? NodeStatus.SUCCESS : NodeStatus.FAILURE;`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** A clock that advances one second per call, from 2026-01-01. */
export function steppingClock(start = Date.UTC(2026, 0, 1)): () => number {
  let t = start;
  return () => (t += 1000);
}

/** A registry on a fresh backend (returned too, for tampering and for second registries). */
export function makeRegistry(options: Partial<TenantRegistryOptions> = {}) {
  const backend = new MemoryBackend();
  const storage = new MemoryStorage({ backend });
  const registry = new TenantRegistry({ storage, clock: steppingClock(), ...options });
  return { backend, storage, registry };
}
