// @ts-check
/** The public module `@wayfarer-ai/btree` inside the isolate: node base classes and `NodeStatus` (btree-contract.md §2). */

export { BaseNode, ActionNode, ConditionNode, NodeStatus, ConfigurationError } from 'wf:internal';
