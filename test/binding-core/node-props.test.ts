import { types } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PROPS_BYTES, extractNodeProps } from '../../src/binding-core/node-props.js';

describe('extractNodeProps (in-process node class and Temporal proxy node alike)', () => {
  it("takes btree's own id and name out of the configuration", () => {
    expect(extractNodeProps({ id: 'n1', name: 'Notify', channel: '#ops', retries: 2 })).toEqual({ ok: true, props: { channel: '#ops', retries: 2 } });
  });

  it('keeps id or name when the props schema declares them as props', () => {
    const propsSchema = { type: 'object', properties: { name: { type: 'string' } } };
    expect(extractNodeProps({ id: 'n1', name: 'Ada', greeting: 'Hi' }, { propsSchema })).toEqual({ ok: true, props: { name: 'Ada', greeting: 'Hi' } });
  });

  it('leaves undefined props out and returns detached copies', () => {
    const target = { list: [1] };
    const r = extractNodeProps({ id: 'n', target, missing: undefined });
    expect(r).toEqual({ ok: true, props: { target: { list: [1] } } });
    expect(r.ok && r.props.target).not.toBe(target);
  });

  it('lists every prop that is not JSON data, and reserved keys', () => {
    const config = JSON.parse('{"id":"n","constructor":1}') as Record<string, unknown>;
    Object.assign(config, { when: new Date(0), fn: () => 1 });
    expect(extractNodeProps(config)).toEqual({
      ok: false,
      problems: [
        { path: 'constructor', message: 'is a reserved key (an Object.prototype member or __proto__)' },
        { path: 'when', message: expect.stringMatching(/^is not JSON data: when is a Date/) },
        { path: 'fn', message: expect.stringMatching(/^is not JSON data: fn is a function/) },
      ],
    });
  });

  it(`hazard: props larger than the cap (default ${DEFAULT_MAX_PROPS_BYTES} characters) are refused as a whole`, () => {
    expect(extractNodeProps({ id: 'n', blob: 'x'.repeat(DEFAULT_MAX_PROPS_BYTES) })).toEqual({ ok: false, problems: [{ path: '(props)', message: `are larger than the ${DEFAULT_MAX_PROPS_BYTES}-byte limit` }] });
    expect(extractNodeProps({ id: 'n', blob: 'x'.repeat(100) }, { maxBytes: 50 })).toMatchObject({ ok: false });
  });

  it('hazard: a getter or (with isProxy) a Proxy in props runs no code', () => {
    let ran = 0;
    const config = { id: 'n', p: new Proxy({}, { ownKeys: () => (ran++, []) }), g: Object.defineProperty({}, 'x', { enumerable: true, get: () => ran++ }) };
    const r = extractNodeProps(config, { isProxy: types.isProxy });
    expect(r).toMatchObject({ ok: false, problems: [{ path: 'p' }, { path: 'g' }] });
    expect(ran).toBe(0);
  });
});
