/**
 * The storage key grammar, checked before any I/O by every adapter.
 *
 * A key is one or more segments separated by `/`:
 * - no empty segment (so no leading, trailing or doubled `/`), no `.` or `..` segment;
 * - no control characters (U+0000–U+001F, U+007F–U+009F), no `\`, no unpaired surrogates;
 * - each segment at most {@link MAX_SEGMENT_BYTES} bytes and the whole key, including the
 *   adapter's prefix, at most {@link MAX_KEY_BYTES} bytes of UTF-8 (S3's and GCS's limit).
 *
 * @module
 */
import { InvalidKeyError } from '../errors.js';

/** Longest key in UTF-8 bytes, adapter prefix included (S3 and GCS both allow 1,024). */
export const MAX_KEY_BYTES = 1024;
/** Longest segment in UTF-8 bytes (file systems allow 255 per name; room is left for encoding). */
export const MAX_SEGMENT_BYTES = 200;

// C0 controls, DEL, C1 controls, backslash.
const FORBIDDEN_CHAR = /[\u0000-\u001f\u007f-\u009f\\]/u;
const encoder = new TextEncoder();

/** Byte length of `s` in UTF-8. */
export function utf8Length(s: string): number {
  return encoder.encode(s).byteLength;
}

/**
 * Throws {@link InvalidKeyError} unless `key` follows the key grammar.
 * @param prefixBytes bytes the adapter's prefix adds in front of the key.
 */
export function assertValidKey(key: string, prefixBytes = 0): void {
  if (typeof key !== 'string') throw new InvalidKeyError(String(key), `a key must be a string, got ${typeof key}`);
  if (key.length === 0) throw new InvalidKeyError(key, 'the key is empty');
  if (!key.isWellFormed()) throw new InvalidKeyError(key, 'the key contains an unpaired UTF-16 surrogate');
  const bad = FORBIDDEN_CHAR.exec(key);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).padStart(4, '0');
    throw new InvalidKeyError(key, `the key contains the forbidden character U+${code} at index ${bad.index}`);
  }
  const bytes = utf8Length(key) + prefixBytes;
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidKeyError(key, `the key is ${bytes} bytes long (with the adapter prefix); the limit is ${MAX_KEY_BYTES}`);
  }
  const segments = key.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '') {
      const where = i === 0 ? 'leading' : i === segments.length - 1 ? 'trailing' : 'doubled';
      throw new InvalidKeyError(key, `the key has an empty segment (a ${where} '/')`);
    }
    if (seg === '.' || seg === '..') throw new InvalidKeyError(key, `the key has a '${seg}' segment`);
    if (utf8Length(seg) > MAX_SEGMENT_BYTES) {
      throw new InvalidKeyError(key, `segment ${i + 1} is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
}

/**
 * Throws {@link InvalidKeyError} unless `prefix` is `''` or a valid key followed by `/`.
 * Used for adapter prefixes and for `list(prefix)`.
 */
export function assertValidPrefix(prefix: string, prefixBytes = 0): void {
  if (prefix === '') return;
  if (typeof prefix !== 'string' || !prefix.endsWith('/')) {
    throw new InvalidKeyError(String(prefix), "a prefix must be '' or end with '/'", {
      hint: "pass a folder such as 'tenants/acme/' (with the trailing slash)",
    });
  }
  assertValidKey(prefix.slice(0, -1), prefixBytes + 1);
}

/** Normalises an adapter's `prefix` option: validated, `''` when absent. */
export function normalizeAdapterPrefix(prefix: string | undefined): string {
  const p = prefix ?? '';
  assertValidPrefix(p);
  return p;
}
