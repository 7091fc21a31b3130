/**
 * How the fs adapter turns keys into file names (private to fs.ts).
 *
 * Every key valid under the grammar must be storable, and no two keys may share a file, on any
 * POSIX file system — including case-insensitive and Unicode-normalising ones (macOS). So each key
 * segment is encoded to a name made only of lowercase ASCII:
 *
 * - `a`–`z`, `0`–`9`, `.`, `_`, `-` stay as they are;
 * - an uppercase ASCII letter becomes `^` + its lowercase (`SendSlack` → `^send^slack`);
 * - every other character becomes its UTF-8 bytes as `%hh` (lowercase hex).
 *
 * The code is prefix-free, so it is injective; {@link decodeSegment} also insists on the canonical
 * form, so a foreign file such as `%61` is never mistaken for key `a`. An encoded segment longer than
 * {@link MAX_PLAIN_NAME} characters (the grammar allows 200 UTF-8 bytes, which may triple) is stored
 * under `#h` + sha256 of the segment; the object's header records its full key, which `get` checks
 * and `list` reads back.
 *
 * Object files are `<name>#o`; the directory of child keys is `<name>`, so key `a` and key `a/b`
 * coexist. Everything else the adapter makes carries another `#` suffix (`#l` lock, `#b` lock
 * breaker, `#t.…` temporary files). `#` never occurs in an encoded segment.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';

/** Encoded segments longer than this are stored under a hashed name (NAME_MAX is 255). */
export const MAX_PLAIN_NAME = 200;
/** Start of a hashed segment name. */
export const HASHED_PREFIX = '#h';
const HASHED_LENGTH = HASHED_PREFIX.length + 64;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes one key segment to a file or directory name (see the module comment). */
export function encodeSegment(segment: string): string {
  let out = '';
  for (const ch of segment) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d) out += ch;
    else if (c >= 0x41 && c <= 0x5a) out += `^${ch.toLowerCase()}`;
    else for (const b of encoder.encode(ch)) out += `%${b.toString(16).padStart(2, '0')}`;
  }
  if (out.length > MAX_PLAIN_NAME) return HASHED_PREFIX + createHash('sha256').update(segment).digest('hex');
  return out;
}

/** True when `name` is a hashed segment name (the segment must be read from an object header). */
export function isHashedName(name: string): boolean {
  return name.length === HASHED_LENGTH && name.startsWith(HASHED_PREFIX) && /^[0-9a-f]{64}$/.test(name.slice(2));
}

/**
 * Decodes a plain (not hashed) name back to its segment, or `undefined` when `name` is not the
 * canonical encoding of any segment (a foreign file, or a hashed name).
 */
export function decodeSegment(name: string): string | undefined {
  if (name === '' || name.length > MAX_PLAIN_NAME) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d) {
      bytes.push(c);
    } else if (c === 0x5e) {
      const next = name.charCodeAt(++i);
      if (!(next >= 0x61 && next <= 0x7a)) return undefined;
      bytes.push(next - 0x20);
    } else if (c === 0x25) {
      const hex = name.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      return undefined;
    }
  }
  let segment: string;
  try {
    segment = strictDecoder.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  // Only the canonical form counts: `%61` is not `a`.
  return encodeSegment(segment) === name ? segment : undefined;
}

/** What a directory entry made by the adapter is. */
export type EntryKind = 'object' | 'scratch' | 'lock' | 'dir' | 'foreign';

/**
 * Classifies a directory entry name. `scratch` entries are temporary files (object or lock
 * candidates) that a crash may leave behind; they are ignored by get/list and swept when stale.
 */
export function classifyName(name: string): { kind: EntryKind; segmentName: string } {
  const hashed = name.startsWith(HASHED_PREFIX);
  const cut = hashed ? HASHED_LENGTH : name.indexOf('#');
  if (cut < 0) return { kind: 'dir', segmentName: name };
  const segmentName = name.slice(0, cut);
  const suffix = name.slice(cut);
  if (hashed && !isHashedName(segmentName)) return { kind: 'foreign', segmentName };
  if (suffix === '') return { kind: 'dir', segmentName };
  if (suffix === '#o') return { kind: 'object', segmentName };
  if (suffix === '#l' || suffix === '#b') return { kind: 'lock', segmentName };
  if (suffix.startsWith('#t.')) return { kind: 'scratch', segmentName };
  return { kind: 'foreign', segmentName };
}

/** File name of the object stored under an encoded segment name. */
export function objectName(segmentName: string): string {
  return `${segmentName}#o`;
}

/** File name of the per-key lock. */
export function lockName(segmentName: string): string {
  return `${segmentName}#l`;
}

/** File name of the lock that serialises breaking a stale per-key lock. */
export function breakerName(segmentName: string): string {
  return `${segmentName}#b`;
}

/** A fresh, unpredictable temporary file name next to the object (same directory, so rename is atomic). */
export function scratchName(segmentName: string): string {
  return `${segmentName}#t.${process.pid}.${randomBytes(8).toString('hex')}`;
}
