import { describe, expect, it } from 'vitest';
import { escapeLogLine, GuestLogForwarder, type GuestLogSink } from '../../src/binding-core/guest-log.js';

type Line = [level: string, message: string, fields: Record<string, unknown>];

function recordingSink(): GuestLogSink & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown>) => void lines.push([level, message, fields]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Every character the escape must neutralise, and why. */
const TRICKS: Array<[name: string, text: string, escaped: string]> = [
  ['newline starts a forged line', 'ok\n[ERROR] tenant=victim', 'ok\\u000a[ERROR] tenant=victim'],
  ['carriage return overwrites the line on a terminal', 'ok\r[ERROR] tenant=victim', 'ok\\u000d[ERROR] tenant=victim'],
  ['ANSI escape erases the line (CSI)', '\u001b[2K\u001b[1Gforged', '\\u001b[2K\\u001b[1Gforged'],
  ['OSC escape retitles the terminal, ended by BEL', '\u001b]0;pwned\u0007', '\\u001b]0;pwned\\u0007'],
  ['C1 control CSI and NEL', '\u009b2K\u0085next', '\\u009b2K\\u0085next'],
  ['U+2028 / U+2029 break lines in JS-aware viewers', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
  ['bidi override reorders what is shown', 'amount=\u202e0001\u202c', 'amount=\\u202e0001\\u202c'],
  ['bidi isolates and marks', '\u2066x\u2069\u200e\u200f\u061c', '\\u2066x\\u2069\\u200e\\u200f\\u061c'],
  ['DEL and NUL', 'a\u007fb\u0000c', 'a\\u007fb\\u0000c'],
];

describe('escapeLogLine (the one rule for guest text in host logs)', () => {
  for (const [name, text, escaped] of TRICKS) {
    it(`log forgery: ${name}`, () => {
      expect(escapeLogLine(text)).toBe(escaped);
    });
  }

  it('keeps printable text, tabs excepted, as it is (emoji, accents, quotes, brackets)', () => {
    expect(escapeLogLine('héllo "x" [INFO] 🎉 é')).toBe('héllo "x" [INFO] 🎉 é');
    expect(escapeLogLine('a\tb')).toBe('a\\u0009b');
  });
});

describe('GuestLogForwarder', () => {
  it('fake tags: fields come from the host, the guest text follows the host prefix on one line', () => {
    const sink = recordingSink();
    const logs = new GuestLogForwarder(sink);
    logs.forward({ tenantId: 'acme', node: 'PythonInterpreter', nodeId: 'n1' }, [{ level: 'info', message: '[PythonInterpreter:Pay] tenant=victim source=host\n[ERROR] x' }], {
      perSecond: 10,
      prefix: '[PythonInterpreter:stats]',
    });
    expect(sink.lines).toEqual([
      ['info', '[PythonInterpreter:stats] [PythonInterpreter:Pay] tenant=victim source=host\\u000a[ERROR] x', { tenantId: 'acme', node: 'PythonInterpreter', nodeId: 'n1', source: 'guest' }],
    ]);
  });

  it('escapes the prefix too (a node name comes from the tenant’s YAML)', () => {
    const sink = recordingSink();
    new GuestLogForwarder(sink).forward({ tenantId: 'acme', node: 'X' }, [{ level: 'warn', message: 'hi' }], { perSecond: 10, prefix: '[X:a\nb]' });
    expect(sink.lines).toEqual([['warn', '[X:a\\u000ab] hi', { tenantId: 'acme', node: 'X', source: 'guest' }]]);
  });

  it('rate-limits per tenant, counts the dropped lines and reports them once the bucket refills', () => {
    const sink = recordingSink();
    let now = 1_000;
    const logs = new GuestLogForwarder(sink, () => now);
    const lines = (n: number) => Array.from({ length: n }, (_, i) => ({ level: 'info' as const, message: `l${i}` }));
    logs.forward({ tenantId: 'acme', node: 'A', version: '1.0.0' }, lines(5), { perSecond: 3 });
    logs.forward({ tenantId: 'globex', node: 'A', version: '1.0.0' }, lines(2), { perSecond: 3 });
    // acme's other node shares acme's bucket.
    logs.forward({ tenantId: 'acme', node: 'B', version: '2.0.0' }, lines(1), { perSecond: 3 });
    expect(sink.lines.map((l) => `${String(l[2].tenantId)}:${l[1]}`)).toEqual(['acme:l0', 'acme:l1', 'acme:l2', 'globex:l0', 'globex:l1']);
    now += 1_000;
    logs.forward({ tenantId: 'acme', node: 'B', version: '2.0.0' }, lines(1), { perSecond: 3 });
    expect(sink.lines.slice(5)).toEqual([
      ['warn', '3 guest log lines were dropped by the rate limit', { tenantId: 'acme', node: 'B', version: '2.0.0', source: 'guest', dropped: 3 }],
      ['info', 'l0', { tenantId: 'acme', node: 'B', version: '2.0.0', source: 'guest' }],
    ]);
  });

  it('a clock that goes backwards never adds tokens', () => {
    const sink = recordingSink();
    let now = 10_000;
    const logs = new GuestLogForwarder(sink, () => now);
    logs.forward({ tenantId: 't', node: 'A' }, [{ level: 'info', message: 'a' }], { perSecond: 1 });
    now -= 5_000;
    logs.forward({ tenantId: 't', node: 'A' }, [{ level: 'info', message: 'b' }], { perSecond: 1 });
    expect(sink.lines.map((l) => l[1])).toEqual(['a']);
  });

  it('without a sink every line is dropped quietly', () => {
    expect(() => new GuestLogForwarder(undefined).forward({ node: 'A' }, [{ level: 'info', message: 'x' }], { perSecond: 1 })).not.toThrow();
  });
});
