import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { assertNodeName, assertTenantId, assertVersion, parseNodeSpec, RESERVED_NODE_NAMES } from '../../src/registry/ids.js';
import { auditEventId, workflowIdFromSegment, workflowSegment } from '../../src/registry/layout.js';

describe('id grammars', () => {
  it('accepts conservative tenant ids and refuses everything else', () => {
    for (const ok of ['acme', 'a', '0', 'acme-eu-1', 'a'.repeat(63)]) expect(() => assertTenantId(ok)).not.toThrow();
    for (const bad of ['', 'Acme', '-a', 'a_b', 'a.b', 'a/b', 'a'.repeat(64), 'ａcme', 42, null]) {
      expect(() => assertTenantId(bad), String(bad)).toThrow(InvalidInputError);
    }
  });

  it('accepts PascalCase node names and refuses others', () => {
    for (const ok of ['A', 'SendSlackMessage', 'Http2Call', `A${'b'.repeat(63)}`]) expect(() => assertNodeName(ok)).not.toThrow();
    for (const bad of ['', 'a', 'Send_Slack', 'Send-Slack', '1Send', `A${'b'.repeat(64)}`, 'Ｓend', undefined]) {
      expect(() => assertNodeName(bad), String(bad)).toThrow(InvalidInputError);
    }
  });

  it("reserves btree's 32 standard node types and the two interpreter nodes", () => {
    expect(RESERVED_NODE_NAMES).toHaveLength(34);
    expect(new Set(RESERVED_NODE_NAMES).size).toBe(34);
    for (const name of RESERVED_NODE_NAMES) expect(() => assertNodeName(name)).toThrow(/cannot be shadowed/);
    expect(() => assertNodeName('Custom', new Set(['Custom']))).toThrow(/reserved node name/);
  });

  it('accepts strict semver without build metadata', () => {
    for (const ok of ['0.0.0', '1.2.3', '10.20.30', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-0.3.7', '1.0.0-x-y.z']) expect(() => assertVersion(ok)).not.toThrow();
    for (const bad of ['1', '1.2', 'v1.2.3', '01.2.3', '1.2.3+build', '1.2.3-', '1.2.3-01', '1.2.3 ', ' 1.2.3', '1.2.3.4', '1.2.3-a..b', '9999999999.0.0']) {
      expect(() => assertVersion(bad), bad).toThrow(InvalidInputError);
    }
    expect(() => assertVersion('1.2.3+build')).toThrow(/build metadata/);
  });

  it('parses specs: bare name, exact version, range', () => {
    expect(parseNodeSpec('Foo')).toEqual({ name: 'Foo', kind: 'active' });
    expect(parseNodeSpec('Foo@1.2.0')).toEqual({ name: 'Foo', kind: 'exact', version: '1.2.0' });
    expect(parseNodeSpec('Foo@^1.2')).toEqual({ name: 'Foo', kind: 'range', range: '^1.2' });
    expect(parseNodeSpec('Foo@>=1.0.0 <2')).toEqual({ name: 'Foo', kind: 'range', range: '>=1.0.0 <2' });
    for (const bad of ['foo', 'Foo@', 'Foo@what', `Foo@${'1'.repeat(200)}`, '@1.0.0', 'Foo@1.0.0\n', 'Sequence@1.0.0']) {
      expect(() => parseNodeSpec(bad), bad).toThrow(InvalidInputError);
    }
  });
});

describe('id hazards', () => {
  it('regex-backtracking: a huge hostile spec or version is refused by length first', () => {
    const evil = `1.0.0-${'a.'.repeat(100_000)}!`;
    expect(() => parseNodeSpec(`Foo@${evil}`)).toThrow(/too long/);
    expect(() => assertVersion(evil)).toThrow(InvalidInputError);
  });
});

describe('key encodings', () => {
  it('audit ids sort by time, then node, then revision', () => {
    const ids = [auditEventId(2000, 'B', 1), auditEventId(1000, 'Z', 12), auditEventId(1000, 'Z', 3), auditEventId(1000, 'A', 5)];
    expect([...ids].sort()).toEqual([auditEventId(1000, 'A', 5), auditEventId(1000, 'Z', 3), auditEventId(1000, 'Z', 12), auditEventId(2000, 'B', 1)]);
  });

  it('workflow ids round-trip through key segments; long ones become hashes', () => {
    for (const id of ['wf-1', 'with/slash and spaces', '../..', 'ünï']) {
      const seg = workflowSegment(id);
      expect(seg).toMatch(/^w-[A-Za-z0-9_-]+$/);
      expect(workflowIdFromSegment(seg)).toBe(id);
    }
    const long = workflowSegment('x'.repeat(500));
    expect(long).toMatch(/^h-[0-9a-f]{64}$/);
    expect(workflowIdFromSegment(long)).toBeUndefined();
  });
});
