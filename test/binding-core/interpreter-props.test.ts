import { InvalidInputError } from '../../src/errors.js';
import { describe, expect, it } from 'vitest';
import {
  checkBlackboardKey,
  checkExposableName,
  checkInterpreterProps,
  formatBytes,
  formatMs,
  JAVASCRIPT_LIMITS,
  parseByteSize,
  parseDuration,
  PYTHON_LIMITS,
  resolveInterpreterLimits,
} from '../../src/binding-core/interpreter-props.js';

const js = { defaultOutputKey: 'jsResult', limits: JAVASCRIPT_LIMITS };

function problems(config: Record<string, unknown>, options = js): string[] {
  const r = checkInterpreterProps({ id: 'n1', ...config }, options);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1ms', 1],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['5 s', '5', '1.5s', '5h', 's', '', '-1s', '0s', ' 5s', '5S'])('rejects %j', (text) => {
    expect(typeof parseDuration(text)).toBe('string');
  });

  it('rejects non-strings, with an example of the format', () => {
    expect(parseDuration(500)).toMatch(/must be a string such as '500ms'/);
  });
});

describe('parseByteSize', () => {
  it.each([
    ['64MB', 64 * 1024 * 1024],
    ['512KB', 512 * 1024],
    ['1GB', 1024 ** 3],
    ['2MiB', 2 * 1024 * 1024],
    ['100B', 100],
  ])('%s → %d bytes', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));

  it.each(['64', '64mb', '64 MB', '1.5MB', '0MB', 'MB', '64TB'])('rejects %j', (text) => {
    expect(typeof parseByteSize(text)).toBe('string');
  });
});

describe('checkBlackboardKey / checkExposableName', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])('rejects the Object.prototype name %s as a blackboard key', (key) => {
    expect(checkBlackboardKey(key)).toMatch(/Object\.prototype/);
  });

  it('accepts ordinary keys, including dots and dashes for output keys', () => {
    for (const key of ['jsResult', 'stats.mean', 'a-b', '_x', 'ns:key']) expect(checkBlackboardKey(key)).toBeUndefined();
  });

  it('rejects empty, too long and oddly shaped keys', () => {
    expect(checkBlackboardKey('')).toBeDefined();
    expect(checkBlackboardKey('x'.repeat(129))).toBeDefined();
    expect(checkBlackboardKey('1abc')).toBeDefined();
    expect(checkBlackboardKey('a b')).toBeDefined();
    expect(checkBlackboardKey(42)).toMatch(/must be a string/);
  });

  it('exposable names are identifiers of both languages, not reserved words, not result', () => {
    expect(checkExposableName('httpResponse')).toBeUndefined();
    expect(checkExposableName('a.b')).toMatch(/cannot be a script variable/);
    expect(checkExposableName('a$')).toMatch(/cannot be a script variable/);
    for (const word of ['class', 'None', 'lambda', 'eval', 'result', 'globalThis']) expect(checkExposableName(word)).toMatch(/reserved/);
    expect(checkExposableName('__proto__')).toMatch(/Object\.prototype/);
  });
});

describe('checkInterpreterProps', () => {
  it('applies the defaults of the language', () => {
    const r = checkInterpreterProps({ id: 'n', script: 'result = 1' }, js);
    expect(r).toEqual({
      ok: true,
      props: { script: 'result = 1', outputKey: 'jsResult', timeoutMs: JAVASCRIPT_LIMITS.defaultTimeoutMs, memoryLimitBytes: JAVASCRIPT_LIMITS.defaultMemoryBytes, inputs: undefined },
    });
    const py = checkInterpreterProps({ id: 'n', script: 'result = 1' }, { defaultOutputKey: 'pythonResult', limits: PYTHON_LIMITS });
    expect(py.ok && py.props.outputKey).toBe('pythonResult');
    expect(py.ok && py.props.timeoutMs).toBe(30_000);
  });

  it('reads every prop', () => {
    const r = checkInterpreterProps({ id: 'n', script: 'x', outputKey: 'out', timeout: '250ms', memoryLimit: '8MB', inputs: ['a', 'b'] }, js);
    expect(r).toEqual({ ok: true, props: { script: 'x', outputKey: 'out', timeoutMs: 250, memoryLimitBytes: 8 << 20, inputs: ['a', 'b'] } });
  });

  it('ignores props it does not know (btree passes id, name and the rest through)', () => {
    expect(checkInterpreterProps({ id: 'n', name: 'N', script: 'x', extra: 1 }, js).ok).toBe(true);
  });

  it('requires a non-empty string script', () => {
    expect(problems({})).toEqual(['script: is required; put the source text under props.script']);
    expect(problems({ script: '   ' })).toEqual(['script: must not be empty']);
    expect(problems({ script: 42 })[0]).toMatch(/script: must be a string/);
    expect(problems({ script: 'x'.repeat(JAVASCRIPT_LIMITS.maxScriptBytes + 1) })[0]).toMatch(/over the .*-character limit/);
  });

  it('rejects a bad timeout format instead of defaulting silently', () => {
    expect(problems({ script: 'x', timeout: '30 seconds' })).toEqual([`timeout: "30 seconds" is not a duration; write an integer and a unit: '500ms', '30s' or '5m'`]);
  });

  it('rejects timeouts and memory above the host limits and memory below the minimum', () => {
    expect(problems({ script: 'x', timeout: '31s' })[0]).toMatch(/timeout: "31s" is over the host's limit of 30s/);
    expect(problems({ script: 'x', memoryLimit: '1GB' })[0]).toMatch(/memoryLimit: "1GB" is over the host's limit of 256MB/);
    expect(problems({ script: 'x', memoryLimit: '1KB' })[0]).toMatch(/under the minimum of 1MB/);
  });

  it('rejects bad output keys and input lists', () => {
    expect(problems({ script: 'x', outputKey: '__proto__' })[0]).toMatch(/^outputKey: "__proto__" is an Object\.prototype member name/);
    expect(problems({ script: 'x', inputs: 'a' })[0]).toMatch(/inputs: must be a list/);
    expect(problems({ script: 'x', inputs: ['a', 'a'] })[0]).toMatch(/inputs\[1\]: "a" is listed twice/);
    expect(problems({ script: 'x', inputs: ['ok', 'not ok', 'constructor'] })).toHaveLength(2);
    expect(problems({ script: 'x', inputs: new Array(JAVASCRIPT_LIMITS.maxInputKeys + 1).fill('a') })[0]).toMatch(/over the limit/);
  });

  it('lists every problem at once', () => {
    const list = problems({ script: '', outputKey: 'a b', timeout: 'soon', memoryLimit: 'lots', inputs: [1] });
    expect(list.map((p) => p.split(':')[0])).toEqual(['script', 'outputKey', 'timeout', 'memoryLimit', 'inputs[0]']);
  });
});

describe('resolveInterpreterLimits', () => {
  it('merges overrides and checks they are coherent', () => {
    expect(resolveInterpreterLimits({ maxTimeoutMs: 60_000 }, JAVASCRIPT_LIMITS).maxTimeoutMs).toBe(60_000);
    expect(() => resolveInterpreterLimits({ maxTimeoutMs: 1 }, JAVASCRIPT_LIMITS)).toThrow(/defaultTimeoutMs exceeds maxTimeoutMs/);
    expect(() => resolveInterpreterLimits({ maxDepth: -1 }, JAVASCRIPT_LIMITS)).toThrow(/positive/);
    expect(() => resolveInterpreterLimits({ nope: 1 } as never, JAVASCRIPT_LIMITS)).toThrow(/unknown limit "nope"/);
    expect(() => resolveInterpreterLimits({ maxDepth: 0 }, JAVASCRIPT_LIMITS)).toThrow(InvalidInputError);
  });

  it('formats durations and sizes the way props write them', () => {
    expect([formatMs(500), formatMs(30_000), formatMs(300_000)]).toEqual(['500ms', '30s', '5m']);
    expect([formatBytes(1 << 20), formatBytes(512 * 1024), formatBytes(1024 ** 3), formatBytes(3)]).toEqual(['1MB', '512KB', '1GB', '3B']);
  });
});
