/**
 * Content hashes used for integrity (bundle sha256) and identity (source sha256).
 * @module
 */
import { createHash } from 'node:crypto';

/** sha256 (lowercase hex) of a string's UTF-8 bytes or of raw bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * sha256 of an upload, independent of key order: the entry, then each path and text in sorted
 * order, length-prefixed so that no two different uploads produce the same byte stream.
 */
export function sourceSha256(files: Record<string, string>, entry: string): string {
  const h = createHash('sha256');
  const part = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    h.update(`${b.byteLength}:`);
    h.update(b);
  };
  part(entry);
  for (const path of Object.keys(files).sort()) {
    part(path);
    part(files[path]!);
  }
  return h.digest('hex');
}
