/**
 * JSON parsing for strings that come out of a guest: `__proto__` keys are dropped at every depth,
 * so that a guest value can never swap a prototype when host code later merges it
 * (`Object.assign`, spread into a setter, btree's `key in` blackboard).
 * @module
 */

const PROTO = '__proto__';

function reviver(key: string, value: unknown): unknown {
  return key === PROTO ? undefined : value;
}

/**
 * Parses guest JSON. The fast path is a plain `JSON.parse`; the reviver runs only when the text
 * could spell `__proto__` (directly or through a `\u` escape).
 */
export function parseGuestJson(text: string): unknown {
  if (text.includes(PROTO) || text.includes('\\u')) return JSON.parse(text, reviver);
  return JSON.parse(text);
}
