/**
 * Blackboard keys tenant code may not read or write. Pure, with no imports: the Temporal workflow
 * entry can use it too.
 *
 * @module
 */

/**
 * True for keys a tenant may not write or read through the binding: the empty string, `__proto__`,
 * `prototype`, and every `Object.prototype` member (`constructor`, `toString`, `hasOwnProperty`, …).
 * btree's blackboard looks keys up with `key in data` on a plain object (btree-contract §6), so such a
 * key either swaps the blackboard's prototype or reads as "present" before anyone wrote it.
 *
 * @example
 * ```ts
 * isReservedBlackboardKey('__proto__'); // true
 * isReservedBlackboardKey('toString');  // true
 * isReservedBlackboardKey('orderId');   // false
 * ```
 */
export function isReservedBlackboardKey(key: string): boolean {
  return typeof key !== 'string' || key === '' || key === '__proto__' || key === 'prototype' || key in Object.prototype;
}
