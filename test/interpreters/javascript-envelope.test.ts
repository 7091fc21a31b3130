/**
 * The host's reading of a successful run's envelope. The worker only length-checks the text it copies
 * out of QuickJS; these tests play a QuickJS whose memory a script corrupted, handing the host forged
 * envelopes, and pin that the host still enforces the shape, the output caps and JSON-safety.
 */
import { describe, expect, it } from 'vitest';
import { outcomeFromEnvelope } from '../../src/interpreters/javascript-envelope.js';
import type { ScriptRequest } from '../../src/binding-core/interpreter-types.js';

const request: ScriptRequest = { script: 'result = 1', inputs: {}, timeoutMs: 1_000, memoryLimitBytes: 8 << 20, maxResultBytes: 1_000, maxOutputLines: 3, maxOutputBytes: 20, maxResultDepth: 4 };
const envelope = (r: string, o: string[] = [], d = 0, t = false): string => `{"r":${r},"o":${JSON.stringify(o)},"d":${d},"t":${t}}`;

describe('outcomeFromEnvelope', () => {
  it('reads a well-formed envelope: value, output, truncation marker', () => {
    expect(outcomeFromEnvelope(envelope('{"n":[1,2]}', ['hi']), request)).toEqual({ ok: true, value: { n: [1, 2] }, output: ['hi'] });
    expect(outcomeFromEnvelope(envelope('null', ['a', 'b', 'c'], 2, true), request)).toEqual({
      ok: true,
      value: null,
      output: ['a', 'b', 'c', '… output truncated: 2 more lines dropped'],
      truncatedOutput: true,
    });
  });

  it('forged envelope: text that is not JSON, or not the envelope shape, is refused', () => {
    for (const text of ['{"r":1,"o":[', 'null', '[1]', '"x"', '{"o":[],"d":0,"t":false}', envelope('1').replace('"d":0', '"d":-1'), envelope('1').replace('"t":false', '"t":0'), '{"r":1,"o":[7],"d":0,"t":false}']) {
      expect(outcomeFromEnvelope(text, request), text).toBeUndefined();
    }
  });

  it('forged envelope: text longer than the caps allow is refused before parsing', () => {
    expect(outcomeFromEnvelope(envelope(JSON.stringify('x'.repeat(1_300))), request)).toBeUndefined();
  });

  it('forged envelope: output beyond the line and character caps is cut on the host', () => {
    const lines = outcomeFromEnvelope(envelope('1', ['a', 'b', 'c', 'd', 'e']), request);
    expect(lines).toEqual({ ok: true, value: 1, output: ['a', 'b', 'c', '… output truncated'], truncatedOutput: true });
    const chars = outcomeFromEnvelope(envelope('1', ['0123456789', '0123456789abc']), request);
    expect(chars).toEqual({ ok: true, value: 1, output: ['0123456789', '0123456789', '… output truncated'], truncatedOutput: true });
  });

  it('forged envelope: a result over the depth or size cap fails with kind result and the path', () => {
    expect(outcomeFromEnvelope(envelope('[[[[[1]]]]]'), request)).toMatchObject({ ok: false, error: { kind: 'result', message: expect.stringMatching(/^result\[0\]\[0\]\[0\]\[0\] is nested deeper/) } });
    expect(outcomeFromEnvelope(envelope(JSON.stringify(['x'.repeat(520), 'y'.repeat(520)])), request)).toMatchObject({ ok: false, error: { kind: 'result' } });
  });

  it('forged envelope: a __proto__ key in the result cannot change the prototype of what the host gets', () => {
    const out = outcomeFromEnvelope(envelope('{"__proto__":{"polluted":true},"a":1}'), request);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (out?.ok) expect(Object.getPrototypeOf(out.value)).toBe(Object.prototype);
    else expect(out?.ok).toBe(false);
  });
});
