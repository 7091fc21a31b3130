/**
 * Shared fixtures of the registry tests: a registry over a fresh memory store, a fixed clock,
 * small valid node sources, an inspector that stands in for the sandbox, and a wait for what
 * arrives asynchronously (change-feed notices).
 */
import { readFileSync } from 'node:fs';
import type { NodeMetadata } from '../../src/binding-core/types.js';
import { TenantRegistry, type TenantRegistryOptions } from '../../src/registry/tenant-registry.js';
import type { NodeInspector } from '../../src/registry/types.js';
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

/** The metadata {@link fixedInspector} reports unless told otherwise. */
export const FIXED_METADATA: NodeMetadata = { category: 'action', ports: [] };

/**
 * An inspector that answers `metadata` without running the bundle: registry tests are about
 * storage and versions; the real sandbox inspect is exercised by test/btree and test/sandbox.
 */
export function fixedInspector(metadata: NodeMetadata = FIXED_METADATA): NodeInspector {
  return { inspect: async () => structuredClone(metadata) };
}

/** A registry (with {@link fixedInspector}) on a fresh backend (returned too, for tampering and for second registries). */
export function makeRegistry(options: Partial<TenantRegistryOptions> = {}) {
  const backend = new MemoryBackend();
  const storage = new MemoryStorage({ backend });
  const registry = new TenantRegistry({ storage, clock: steppingClock(), inspector: fixedInspector(), ...options });
  return { backend, storage, registry };
}

/** Waits until `done()` holds (polling every 20 ms), failing after 10 s with what was awaited. */
export async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
