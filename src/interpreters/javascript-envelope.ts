/**
 * Reads the envelope of a successful JavaScript run on the host (private helper of `javascript-worker-pool.ts`).
 *
 * The worker copies the envelope text out of QuickJS after checking its length, and does not parse
 * it: the host parses it here, once, and treats it as untrusted — a QuickJS whose memory a script had
 * corrupted could write anything into it. So the shape is checked, the output is held to its caps
 * again, and the result is checked with `toJsonSafe` (JSON-safe, depth, size) before anyone sees it.
 *
 * @module
 */
import { toJsonSafe } from '../binding-core/json-copy.js';
import { JAVASCRIPT_LIMITS } from '../binding-core/interpreter-props.js';
import type { JsonValue, ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';

/**
 * Turns the envelope text of a successful run (`{"r": result, "o": [lines], "d": dropped, "t": truncated}`,
 * made by the prelude inside QuickJS and only length-checked by the worker) into an outcome. The text
 * is untrusted: it is parsed here, its shape checked, the output held to its caps again and the
 * result checked with `toJsonSafe`. Returns undefined when the text is not a well-formed envelope.
 *
 * @example
 * ```ts
 * outcomeFromEnvelope('{"r":{"n":1},"o":["hi"],"d":0,"t":false}', request) // { ok: true, value: { n: 1 }, output: ['hi'] }
 * ```
 */
export function outcomeFromEnvelope(text: string, request: ScriptRequest): ScriptOutcome | undefined {
  const maxResult = request.maxResultBytes ?? JAVASCRIPT_LIMITS.maxResultBytes;
  const maxLines = request.maxOutputLines ?? JAVASCRIPT_LIMITS.maxOutputLines;
  const maxChars = request.maxOutputBytes ?? JAVASCRIPT_LIMITS.maxOutputBytes;
  if (typeof text !== 'string' || text.length > maxResult + maxChars * 6 + 64) return undefined;
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) return undefined;
  const { r, o, d, t } = envelope as { r?: unknown; o?: unknown; d?: unknown; t?: unknown };
  if (!Array.isArray(o) || !(Number.isInteger(d) && (d as number) >= 0) || typeof t !== 'boolean' || !('r' in envelope)) return undefined;
  // The console inside QuickJS keeps to the caps; they are enforced here again all the same.
  const output: string[] = [];
  let chars = 0;
  let cut = false;
  for (const line of o as unknown[]) {
    if (typeof line !== 'string') return undefined;
    if (output.length >= maxLines || chars + line.length > maxChars) {
      if (output.length < maxLines && chars < maxChars) output.push(line.slice(0, maxChars - chars));
      cut = true;
      break;
    }
    output.push(line);
    chars += line.length;
  }
  const dropped = d as number;
  const truncated = t || dropped > 0 || cut;
  if (truncated) output.push(dropped > 0 && !cut ? `… output truncated: ${dropped} more line${dropped === 1 ? '' : 's'} dropped` : '… output truncated');
  const safe = toJsonSafe(r as JsonValue, { root: 'result', maxDepth: request.maxResultDepth ?? JAVASCRIPT_LIMITS.maxDepth, maxBytes: maxResult });
  if (!safe.ok) {
    const error = { kind: 'result' as const, message: safe.message };
    return truncated ? { ok: false, error, output, truncatedOutput: true } : { ok: false, error, output };
  }
  return truncated ? { ok: true, value: safe.value, output, truncatedOutput: true } : { ok: true, value: safe.value, output };
}
