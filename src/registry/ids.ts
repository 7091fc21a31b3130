/**
 * Validation of everything that becomes part of a storage key: tenant ids, node names, versions,
 * resolution specs and workflow ids. The grammars are ASCII-only and conservative, so that
 * `../other`, `other/..`, look-alike letters (`аcme` with a Cyrillic `а`) and invisible characters
 * are refused before any I/O, with an error that says what the grammar is.
 *
 * @module
 */
import semver from 'semver';
import { INTERPRETER_NODES } from '../binding-core/interpreter-props.js';
import { InvalidInputError } from '../errors.js';

/** Tenant id grammar: lowercase ASCII letters, digits and `-`, starting with a letter or digit, 1–63 chars. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Node name grammar: a PascalCase ASCII identifier of 1–64 chars (it becomes a JS class name). */
export const NODE_NAME_PATTERN = /^[A-Z][A-Za-z0-9]{0,63}$/;
/** Strict semver 2.0 without build metadata (build metadata does not take part in precedence). */
export const VERSION_PATTERN =
  /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-((?:0|[1-9]\d{0,8}|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d{0,8}|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/;
const MAX_VERSION_LENGTH = 64;
const MAX_RANGE_LENGTH = 128;
/** Workflow ids longer than this (UTF-8 bytes) are stored under their hash. */
export const MAX_WORKFLOW_ID_LENGTH = 1000;

/**
 * btree's 32 standard node types (`registerStandardNodes`, btree-contract.md §7) and this
 * library's interpreter nodes: a tenant node with one of these names would shadow them.
 */
export const RESERVED_NODE_NAMES: readonly string[] = Object.freeze([
  // composites
  'Sequence', 'Selector', 'Parallel', 'Conditional', 'ForEach', 'While', 'Recovery', 'ReactiveSequence', 'MemorySequence', 'SubTree',
  // decorators
  'Timeout', 'Delay', 'Repeat', 'Invert', 'ForceSuccess', 'ForceFailure', 'RunOnce', 'KeepRunningUntilFailure', 'Precondition', 'SoftAssert',
  // test / example actions and conditions
  'PrintAction', 'MockAction', 'SuccessNode', 'FailureNode', 'RunningNode', 'CounterAction', 'CheckCondition', 'AlwaysCondition', 'WaitAction',
  // scripting and utilities
  'Script', 'LogMessage', 'RegexExtract',
  // this library's interpreter nodes
  ...Object.values(INTERPRETER_NODES).map((node) => node.type),
]);

/** Shows a hostile value safely: JSON-quoted (escapes invisible characters) and bounded. */
export function printable(value: unknown): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : `<${typeof value}>`;
  return s.length > 80 ? `${s.slice(0, 70)}…(${(value as string).length} chars)` : s;
}

function nonAscii(value: string): string {
  const m = /[^\x20-\x7e]/.exec(value);
  if (!m) return '';
  return ` (it contains the non-ASCII or invisible character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at index ${m.index}; look-alike letters are refused)`;
}

/** Throws {@link InvalidInputError} unless `tenantId` follows {@link TENANT_ID_PATTERN}. */
export function assertTenantId(tenantId: unknown): asserts tenantId is string {
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    throw new InvalidInputError('invalid tenant id', `${printable(tenantId)} is not a tenant id${typeof tenantId === 'string' ? nonAscii(tenantId) : ''}`, {
      context: {},
      hint: 'tenant ids are 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit (e.g. "acme" or "acme-eu-1")',
    });
  }
}

/**
 * Throws {@link InvalidInputError} unless `name` follows {@link NODE_NAME_PATTERN} and is not
 * reserved (built-in btree types, interpreter nodes, and `extraReserved`).
 */
export function assertNodeName(name: unknown, extraReserved: ReadonlySet<string> = new Set()): asserts name is string {
  if (typeof name !== 'string' || !NODE_NAME_PATTERN.test(name)) {
    throw new InvalidInputError('invalid node name', `${printable(name)} is not a node name${typeof name === 'string' ? nonAscii(name) : ''}`, {
      hint: 'node names are PascalCase ASCII identifiers of 1-64 letters and digits, starting with an uppercase letter (e.g. "SendSlackMessage")',
    });
  }
  if (RESERVED_NODE_NAMES.includes(name) || extraReserved.has(name)) {
    throw new InvalidInputError('reserved node name', `"${name}" is a built-in node type and cannot be shadowed`, {
      context: { node: name },
      hint: `choose another name, e.g. "${name}Custom" or a name that says what your node does`,
    });
  }
}

/** Throws {@link InvalidInputError} unless `version` is strict semver without build metadata. */
export function assertVersion(version: unknown): asserts version is string {
  if (typeof version !== 'string' || version.length > MAX_VERSION_LENGTH || !VERSION_PATTERN.test(version)) {
    const why = typeof version === 'string' && version.includes('+') ? ' (build metadata "+…" is not allowed: it does not order versions)' : '';
    throw new InvalidInputError('invalid version', `${printable(version)} is not a strict semver version${why}`, {
      hint: 'use MAJOR.MINOR.PATCH with an optional prerelease, e.g. "1.2.0" or "2.0.0-beta.1"',
    });
  }
}

/** A parsed resolution spec: `Name`, `Name@1.2.0` or `Name@<semver range>`. */
export type NodeSpec =
  | { name: string; kind: 'active' }
  | { name: string; kind: 'exact'; version: string }
  | { name: string; kind: 'range'; range: string };

/** Parses and validates `Name`, `Name@1.2.0` or `Name@^1.2` (any `semver` range, ≤ 128 chars). */
export function parseNodeSpec(spec: unknown, extraReserved?: ReadonlySet<string>): NodeSpec {
  if (typeof spec !== 'string') {
    throw new InvalidInputError('invalid node spec', `${printable(spec)} is not a string`, { hint: 'pass "Name", "Name@1.2.0" or "Name@^1.2"' });
  }
  // Bounded before any regular expression runs on it.
  if (spec.length > 64 + 1 + MAX_RANGE_LENGTH) {
    throw new InvalidInputError('invalid node spec', `${printable(spec)} is too long`, { hint: 'pass "Name", "Name@1.2.0" or "Name@^1.2"' });
  }
  const at = spec.indexOf('@');
  const name = at < 0 ? spec : spec.slice(0, at);
  assertNodeName(name, extraReserved);
  if (at < 0) return { name, kind: 'active' };
  const rest = spec.slice(at + 1);
  if (rest.length <= MAX_VERSION_LENGTH && VERSION_PATTERN.test(rest)) return { name, kind: 'exact', version: rest };
  // Range characters only: no build metadata (`+`), nothing outside printable ASCII.
  if (rest.length > 0 && rest.length <= MAX_RANGE_LENGTH && /^[0-9A-Za-z.\-^~<>=*|xX ]+$/.test(rest) && semver.validRange(rest) !== null) {
    return { name, kind: 'range', range: rest };
  }
  throw new InvalidInputError('invalid node spec', `${printable(rest)} after "@" is neither a version nor a semver range`, {
    context: { node: name },
    hint: 'write "Name@1.2.0" for an exact version or "Name@^1.2" / "Name@~1.2.3" / "Name@1.x" for a range',
  });
}

/** Throws {@link InvalidInputError} unless `workflowId` is a non-empty well-formed string of at most 1000 UTF-8 bytes. */
export function assertWorkflowId(workflowId: unknown): asserts workflowId is string {
  if (
    typeof workflowId !== 'string' ||
    workflowId.length === 0 ||
    !workflowId.isWellFormed() ||
    Buffer.byteLength(workflowId, 'utf8') > MAX_WORKFLOW_ID_LENGTH
  ) {
    throw new InvalidInputError('invalid workflow id', `${printable(workflowId)} is not a workflow id`, {
      hint: `pass the Temporal workflow id: a non-empty string of at most ${MAX_WORKFLOW_ID_LENGTH} bytes`,
    });
  }
}
