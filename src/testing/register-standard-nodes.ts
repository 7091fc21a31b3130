/**
 * `registerStandardNodes` for the types the test host implements (contract §7).
 *
 * @module
 */
import { Parallel, Selector, Sequence } from './composites.js';
import { ForceFailure, ForceSuccess, Invert } from './decorators.js';
import type { Registry } from './registry.js';
import { CounterAction, FailureNode, RunningNode, SuccessNode } from './test-nodes.js';
import type { NodeConstructor } from './types.js';

/**
 * Registers the standard nodes the test host implements: 10 of btree's 32 (contract §7).
 *
 * Present: composites `Sequence`, `Selector`, `Parallel`; decorators `Invert`, `ForceSuccess`,
 * `ForceFailure`; test actions `SuccessNode`, `FailureNode`, `RunningNode`, `CounterAction`.
 *
 * Absent: `Conditional`, `ForEach`, `While`, `Recovery`, `ReactiveSequence`, `MemorySequence`,
 * `SubTree`, `Timeout`, `Delay`, `Repeat`, `RunOnce`, `KeepRunningUntilFailure`, `Precondition`,
 * `SoftAssert`, `PrintAction`, `MockAction`, `CheckCondition`, `AlwaysCondition`, `WaitAction`,
 * `Script`, `LogMessage`, `RegexExtract`. A tree naming one of those fails with btree's
 * "Unknown node type" error; use the real btree for them.
 */
export function registerStandardNodes(registry: Registry): void {
  const as = (c: unknown) => c as NodeConstructor;
  registry.register('Sequence', as(Sequence), { category: 'composite' });
  registry.register('Selector', as(Selector), { category: 'composite' });
  registry.register('Parallel', as(Parallel), { category: 'composite' });
  registry.register('Invert', as(Invert), { category: 'decorator' });
  registry.register('ForceSuccess', as(ForceSuccess), { category: 'decorator' });
  registry.register('ForceFailure', as(ForceFailure), { category: 'decorator' });
  registry.register('SuccessNode', as(SuccessNode), { category: 'action' });
  registry.register('FailureNode', as(FailureNode), { category: 'action' });
  registry.register('RunningNode', as(RunningNode), { category: 'action' });
  registry.register('CounterAction', as(CounterAction), { category: 'action' });
}
