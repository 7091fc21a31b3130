import { describe, expect, it } from 'vitest';
import { validateAgainstSchema } from '../../src/temporal/props-validator.js';

// The shape zod's toJSONSchema gives the seed's SendSlackMessage props.
const slack = {
  type: 'object',
  properties: {
    channel: { type: 'string', pattern: '^#' },
    message: { type: 'string', minLength: 1, maxLength: 10 },
    retries: { type: 'integer', minimum: 0, maximum: 5 },
    mode: { enum: ['plain', 'markdown'] },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    target: { anyOf: [{ type: 'string' }, { type: 'object', properties: { id: { type: 'number' } }, required: ['id'] }] },
  },
  required: ['channel', 'message'],
  additionalProperties: false,
};

describe('validateAgainstSchema (workflow-side props validation)', () => {
  it('accepts valid props', () => {
    expect(validateAgainstSchema(slack, { channel: '#ops', message: 'hi', retries: 2, mode: 'plain', tags: ['a'], target: { id: 1 } })).toEqual([]);
  });

  it('lists every problem with its path', () => {
    const problems = validateAgainstSchema(slack, { channel: 'ops', message: '', retries: 1.5, mode: 'html', tags: ['a', 2, 'c'], extra: 1, target: { x: 1 } });
    expect([...problems].sort()).toEqual(
      [
        'message: must have at least 1 characters',
        'channel: must match ^#',
        'retries: expected integer, got number',
        'mode: must be one of "plain", "markdown"',
        'tags: must have at most 2 items',
        'tags[1]: expected string, got integer',
        'target: must match at least one of 2 alternatives',
        'extra: is not a known prop',
      ].sort(),
    );
  });

  it('reports missing required props', () => {
    expect(validateAgainstSchema(slack, {})).toEqual(['channel: is required', 'message: is required']);
  });

  it('counts characters, not UTF-16 units, for string lengths', () => {
    expect(validateAgainstSchema({ type: 'string', maxLength: 2 }, '😀😀')).toEqual([]);
  });

  it('handles boolean schemas and oneOf', () => {
    expect(validateAgainstSchema(false, 1)).toEqual(['(props): is not allowed']);
    expect(validateAgainstSchema({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 3)).toEqual(['(props): must match exactly one of 2 alternatives']);
  });

  it('caps the number of problems', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 1]));
    expect(validateAgainstSchema({ type: 'object', additionalProperties: false }, many)).toHaveLength(20);
  });
});
