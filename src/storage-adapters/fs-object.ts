/**
 * The fs adapter's object file format (private to fs.ts).
 *
 * ```
 * btree-plugins-object/1 <write id: 32 hex> <sha256 of body: 64 hex> <key bytes: 4 digits>\n
 * <full key, UTF-8>\n
 * <body>
 * ```
 *
 * The write id is 128 random bits chosen for each write and is the object's etag: it lives in the
 * same file as the bytes, so reading it needs no second file and no lock, and it differs even
 * between two writes of identical bytes in the same millisecond (compare-and-swap sees every
 * intervening write — no ABA). The sha256 lets `get` refuse a damaged file instead of returning
 * wrong bytes; the full key lets `get` detect a hashed-name collision and lets `list` recover
 * keys whose segments were too long to encode in a file name.
 *
 * @module
 */
import { createHash } from 'node:crypto';

const MAGIC = 'btree-plugins-object/1 ';
/** Bytes of the first header line, newline included. */
export const FIXED_HEADER_BYTES = MAGIC.length + 32 + 1 + 64 + 1 + 4 + 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Total header length for a key of `keyBytes` UTF-8 bytes. */
export function headerBytes(keyBytes: number): number {
  return FIXED_HEADER_BYTES + keyBytes + 1;
}

/** The header to write in front of `body`. */
export function encodeHeader(fullKey: string, body: Uint8Array, writeId: string): Uint8Array {
  const key = encoder.encode(fullKey);
  const sha = createHash('sha256').update(body).digest('hex');
  return encoder.encode(`${MAGIC}${writeId} ${sha} ${String(key.byteLength).padStart(4, '0')}\n${fullKey}\n`);
}

/** The parsed first header line. */
export interface FixedHeader {
  writeId: string;
  sha256: string;
  keyBytes: number;
}

/** Parses the first {@link FIXED_HEADER_BYTES} bytes; `undefined` when they are not a valid header. */
export function parseFixedHeader(bytes: Uint8Array): FixedHeader | undefined {
  if (bytes.byteLength < FIXED_HEADER_BYTES) return undefined;
  let line: string;
  try {
    line = decoder.decode(bytes.subarray(0, FIXED_HEADER_BYTES));
  } catch {
    return undefined;
  }
  const m = /^btree-plugins-object\/1 ([0-9a-f]{32}) ([0-9a-f]{64}) (\d{4})\n$/.exec(line);
  if (!m) return undefined;
  return { writeId: m[1]!, sha256: m[2]!, keyBytes: Number(m[3]) };
}

/** A whole object file, parsed and checked. */
export interface ParsedObject {
  writeId: string;
  fullKey: string;
  body: Uint8Array;
}

/**
 * Parses a whole object file and checks its body against the recorded sha256.
 * @returns the object, or a sentence saying what is wrong with the file.
 */
export function parseObject(file: Uint8Array): ParsedObject | string {
  const fixed = parseFixedHeader(file);
  if (!fixed) return 'the file does not start with a valid object header';
  const keyEnd = FIXED_HEADER_BYTES + fixed.keyBytes;
  if (file.byteLength < keyEnd + 1 || file[keyEnd] !== 0x0a) return 'the header is truncated';
  let fullKey: string;
  try {
    fullKey = decoder.decode(file.subarray(FIXED_HEADER_BYTES, keyEnd));
  } catch {
    return 'the recorded key is not valid UTF-8';
  }
  const body = file.subarray(keyEnd + 1);
  const sha = createHash('sha256').update(body).digest('hex');
  if (sha !== fixed.sha256) return `the body's sha256 ${sha} does not match the recorded ${fixed.sha256}`;
  return { writeId: fixed.writeId, fullKey, body };
}

/** Reads the key recorded in a header (`list` uses it for hashed names). */
export function parseHeaderKey(bytes: Uint8Array): string | undefined {
  const fixed = parseFixedHeader(bytes);
  if (!fixed) return undefined;
  const keyEnd = FIXED_HEADER_BYTES + fixed.keyBytes;
  if (bytes.byteLength < keyEnd + 1 || bytes[keyEnd] !== 0x0a) return undefined;
  try {
    return decoder.decode(bytes.subarray(FIXED_HEADER_BYTES, keyEnd));
  } catch {
    return undefined;
  }
}
