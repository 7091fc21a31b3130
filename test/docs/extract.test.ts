/**
 * The extractor itself: it finds every fence, reads markers (with their notes and YAML options),
 * and reports the blocks a checker would otherwise never see.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractBlocks, extractFile, markerProblems } from './extract.js';

const fixture = extractFile(join(import.meta.dirname, 'fixtures', 'markers.md'), 'markers.md');

describe('doc example extractor', () => {
  it('finds every fenced block with its line and language, indented and tilde fences included', () => {
    expect(fixture.map((b) => [b.line, b.lang])).toEqual([
      [4, 'ts'],
      [10, 'ts'],
      [15, 'sh'],
      [22, 'yaml'],
      [28, ''],
      [35, 'js'],
      [40, ''],
    ]);
    expect(fixture[5]!.code).toBe('  indented();\n');
    expect(fixture[6]!.code).toBe('a ``` inside a tilde fence\n');
  });

  it('reads the marker on the line above, its note, id and YAML options', () => {
    expect(fixture[0]!.marker).toMatchObject({ kind: 'run', note: '', options: {}, line: 3 });
    expect(fixture[3]!.marker).toMatchObject({ kind: 'tree', id: 'demo', options: { input: { values: [1, 2] } }, line: 19 });
    expect(fixture[5]!.marker?.kind).toBe('frobnicate');
    expect(fixture[6]!.marker).toMatchObject({ kind: 'text', note: 'id=demo', id: 'demo' });
  });

  it('treats a block with no marker, or a comment that is not a marker, as unmarked', () => {
    expect(fixture[1]!.marker).toBeUndefined();
    expect(fixture[4]!.marker).toBeUndefined();
  });

  it('reports unmarked blocks, unknown kinds (skip is not one: every block is checked) and duplicate ids', () => {
    expect(markerProblems(fixture).map((p) => `${p.file}:${p.line} ${p.message}`)).toEqual([
      expect.stringMatching(/^markers\.md:10 fenced block \(ts\) has no <!-- example: … --> marker/),
      expect.stringMatching(/^markers\.md:15 unknown example kind "skip"/),
      expect.stringMatching(/^markers\.md:28 fenced block \(no language\) has no/),
      expect.stringMatching(/^markers\.md:35 unknown example kind "frobnicate"/),
      expect.stringMatching(/^markers\.md:40 id=demo is also used at markers\.md:22/),
    ]);
  });

  it('needs the marker right above the fence: a blank line in between detaches it', () => {
    const blocks = extractBlocks('x.md', '<!-- example: run -->\n\n```ts\n1;\n```\n');
    expect(markerProblems(blocks)).toHaveLength(1);
  });

  it('rejects marker options that are not a YAML mapping', () => {
    expect(() => extractBlocks('x.md', '<!-- example: run\n- a list\n-->\n```ts\n1;\n```\n')).toThrow(/not a YAML mapping/);
  });
});
