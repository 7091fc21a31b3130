/**
 * `ScopedBlackboard` with btree's semantics, gotchas included (contract §6).
 *
 * @module
 */
import { hostLog } from './log.js';
import type { IScopedBlackboard } from './types.js';

/**
 * A scoped key/value store. Reads walk up to the parents; writes and deletes are local.
 *
 * Gotcha (contract §6, reproduced on purpose): lookups use `key in data` on a plain object, so
 * `has('toString')` is true, `get('constructor')` returns a function and `set('__proto__', obj)`
 * swaps the prototype. Sanitize untrusted keys before they reach a blackboard.
 */
export class ScopedBlackboard implements IScopedBlackboard {
  // A plain object literal, not a Map or a null-prototype object: the `in` gotcha depends on it (contract §6).
  private data: Record<string, unknown> = {};
  private readonly parent: ScopedBlackboard | null;
  private readonly scopeName: string;
  private readonly childScopes = new Map<string, ScopedBlackboard>();

  constructor(scopeName = 'root', parent: ScopedBlackboard | null = null) {
    this.scopeName = scopeName;
    this.parent = parent;
  }

  /** Local value, else the nearest parent's (contract §6). */
  get(key: string): unknown {
    if (key in this.data) return this.data[key]; // `in` sees Object.prototype members (contract §6 gotcha)
    return this.parent ? this.parent.get(key) : undefined;
  }

  /** Stores locally, by reference: no copy (contract §6). */
  set(key: string, value: unknown): void {
    this.data[key] = value; // `__proto__` swaps the prototype (contract §6 gotcha)
  }

  has(key: string): boolean {
    if (key in this.data) return true; // contract §6 gotcha
    return this.parent ? this.parent.has(key) : false;
  }

  /** Local only: a parent's value shows through afterwards (contract §6). */
  delete(key: string): void {
    delete this.data[key];
  }

  /** Wipes local data and child scopes (contract §6). */
  clear(): void {
    this.data = {};
    this.childScopes.clear();
  }

  /** Returns the existing child scope when the name was used before (contract §6). */
  createScope(name: string): IScopedBlackboard {
    const existing = this.childScopes.get(name);
    if (existing) return existing;
    const child = new ScopedBlackboard(name, this);
    this.childScopes.set(name, child);
    return child;
  }

  getParentScope(): IScopedBlackboard | null {
    return this.parent;
  }

  getScopeName(): string {
    return this.scopeName;
  }

  /** `get(key)`, or `defaultValue` only when the value is `undefined`; a stored `null` is returned (contract §6). */
  getPort<T>(key: string, defaultValue?: T): T {
    const value = this.get(key);
    if (value === undefined && defaultValue !== undefined) return defaultValue;
    return value as T;
  }

  setPort<T>(key: string, value: T): void {
    this.set(key, value);
  }

  /** Local plus inherited keys (contract §6). */
  keys(): string[] {
    return [...new Set([...Object.keys(this.data), ...(this.parent ? this.parent.keys() : [])])];
  }

  /** Local plus inherited entries, local ones first and winning (contract §6). */
  entries(): [string, unknown][] {
    const out: [string, unknown][] = Object.entries(this.data);
    const seen = new Set(out.map(([k]) => k));
    for (const entry of this.parent ? this.parent.entries() : []) if (!seen.has(entry[0])) out.push(entry);
    return out;
  }

  /** A shallow copy of the local keys only: child scopes never reach a WorkflowResult (contract §6). */
  toJSON(): Record<string, unknown> {
    return { ...this.data };
  }

  /** Deep copy of local data via `structuredClone` (throws on functions), same parent (contract §6). */
  clone(): IScopedBlackboard {
    const copy = new ScopedBlackboard(this.scopeName, this.parent);
    copy.data = structuredClone(this.data);
    for (const [name, child] of this.childScopes) copy.childScopes.set(name, child.clone() as ScopedBlackboard);
    return copy;
  }

  /** Dotted path from the root, e.g. `root.c` (contract §6). */
  getFullScopePath(): string {
    const names: string[] = [];
    for (let s: ScopedBlackboard | null = this; s; s = s.parent) names.unshift(s.scopeName);
    return names.join('.');
  }

  /** Prints the hierarchy. */
  debug(indent = 0): void {
    const pad = '  '.repeat(indent);
    hostLog(`${pad}Scope: ${this.scopeName}`);
    for (const [k, v] of Object.entries(this.data)) hostLog(`${pad}  ${k}: ${JSON.stringify(v)}`);
    for (const child of this.childScopes.values()) child.debug(indent + 1);
  }
}
