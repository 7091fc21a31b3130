import { describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import {
  assertValidKey,
  assertValidPrefix,
  MAX_KEY_BYTES,
  MAX_SEGMENT_BYTES,
  normalizeAdapterPrefix,
  utf8Length,
} from '../../src/storage-adapters/keys.js';
import { HOSTILE_KEYS, HOSTILE_PREFIXES, ODD_VALID_KEYS } from '../conformance/storage.js';

function keyError(fn: () => void): Error & { detail: string; context: Record<string, unknown>; hint?: string } {
  try {
    fn();
  } catch (e) {
    expect(isBtreePluginsError(e, 'InvalidKeyError')).toBe(true);
    return e as never;
  }
  throw new Error('expected an InvalidKeyError');
}

describe('key grammar', () => {
  it.each(HOSTILE_KEYS)('rejects %s', (_label, key) => {
    const e = keyError(() => assertValidKey(key));
    // The message is bounded and printable even for a 2,000-char key with control characters.
    expect(e.message.length).toBeLessThan(600);
    expect(e.message).not.toMatch(/[\u0000-\u001f]/);
    expect(e.hint).toBeTruthy();
  });

  it.each(HOSTILE_PREFIXES)('rejects the list prefix: %s', (_label, prefix) => {
    keyError(() => assertValidPrefix(prefix));
  });

  it('accepts odd but valid keys', () => {
    for (const key of ODD_VALID_KEYS) expect(() => assertValidKey(key), key).not.toThrow();
  });

  it('says what is wrong', () => {
    expect(keyError(() => assertValidKey('a//b')).detail).toMatch(/doubled/);
    expect(keyError(() => assertValidKey('/a')).detail).toMatch(/leading/);
    expect(keyError(() => assertValidKey('a/')).detail).toMatch(/trailing/);
    expect(keyError(() => assertValidKey('a/../b')).detail).toMatch(/'\.\.' segment/);
    expect(keyError(() => assertValidKey('a\u0000')).detail).toMatch(/U\+0000 at index 1/);
    expect(keyError(() => assertValidKey('a\\b')).detail).toMatch(/U\+005c/);
    expect(keyError(() => assertValidKey('\ud800')).detail).toMatch(/surrogate/);
    expect(keyError(() => assertValidKey(42 as never)).detail).toMatch(/must be a string, got number/);
  });

  it('bounds segments at 200 UTF-8 bytes and keys at 1,024, counting multi-byte characters as bytes', () => {
    expect(MAX_SEGMENT_BYTES).toBe(200);
    expect(MAX_KEY_BYTES).toBe(1024);
    assertValidKey('s'.repeat(200));
    assertValidKey('\u00e9'.repeat(100)); // 200 bytes
    keyError(() => assertValidKey('\u00e9'.repeat(101))); // 202 bytes, only 101 chars
    keyError(() => assertValidKey(`${'\u{1f389}'.repeat(50)}x`)); // 201 bytes
    const max = [...Array.from({ length: 5 }, () => 'k'.repeat(200)), 'z'.repeat(19)].join('/');
    expect(utf8Length(max)).toBe(1024);
    assertValidKey(max);
    keyError(() => assertValidKey(`${max}z`));
  });

  it('counts the adapter prefix against the key limit', () => {
    const key = 'k'.repeat(200);
    assertValidKey(key, 824);
    expect(keyError(() => assertValidKey(key, 825)).detail).toMatch(/1025 bytes long \(with the adapter prefix\)/);
  });

  it('accepts "" and folder prefixes for list, and checks adapter prefixes', () => {
    assertValidPrefix('');
    assertValidPrefix('tenants/acme/');
    expect(normalizeAdapterPrefix(undefined)).toBe('');
    expect(normalizeAdapterPrefix('host-a/')).toBe('host-a/');
    expect(keyError(() => normalizeAdapterPrefix('host-a')).hint).toMatch(/trailing slash/);
  });
});
