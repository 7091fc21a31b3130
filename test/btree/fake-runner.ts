/**
 * A NodeRunner written in plain TypeScript for the binding's unit tests: each "bundle" is a name
 * that maps to a function of (props, blackboard) → outcome. No isolation at all — the real runner is
 * the isolated-vm `SandboxPool`, exercised by the end-to-end test.
 */
import type { NodeMetadata } from '../../src/binding-core/types.js';
import type { NodeRunner, RunnableBundle, TickInput, TickOutcome } from '../../src/sandbox/types.js';

export type FakeBehaviour = (input: TickInput) => Partial<TickOutcome> | Promise<Partial<TickOutcome>>;

export class FakeRunner implements NodeRunner {
  readonly calls: Array<{ bundle: RunnableBundle; input: TickInput }> = [];
  disposed = false;
  constructor(readonly behaviours: Record<string, FakeBehaviour>) {}

  async inspect(): Promise<NodeMetadata> {
    return { category: 'action', ports: [] };
  }

  async tick(bundle: RunnableBundle, input: TickInput): Promise<TickOutcome> {
    this.calls.push({ bundle, input });
    const behaviour = this.behaviours[bundle.code];
    if (!behaviour) throw new Error(`no fake behaviour for bundle ${bundle.code}`);
    const out = await behaviour(input);
    return { status: 'SUCCESS', writes: {}, deletes: [], logs: [], ...out };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** A bundle whose code names a fake behaviour. */
export function fakeBundle(tenantId: string, node: string, version: string, behaviour: string): RunnableBundle {
  return { tenantId, node, version, sha256: `sha-${node}-${version}`, code: behaviour };
}
