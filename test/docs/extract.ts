/**
 * Finds the fenced code blocks of the README, `docs/*.md` and `examples/<folder>/README.md`,
 * each with the marker that says how `test/docs/examples.test.ts` checks it, so that no example
 * in the documentation goes unchecked.
 *
 * A marker is an HTML comment that ends on the line right above the fence (invisible on GitHub):
 *
 *     <!-- example: run -->
 *     <!-- example: shell — installs packages; parsed, never run -->
 *     <!-- example: tree
 *     input: { values: [1, 2, 3] }
 *     -->
 *
 * The first word after `example:` is the kind; text after it on that line is the note (free text,
 * or `id=<name>` to name the block for another block's `files`); further lines up to
 * `-->` are YAML options for the checker (hidden context, as rustdoc's `# ` lines). The vocabulary
 * is documented in docs/testing.md ("Examples in the docs are tests").
 *
 * Pure: no file system access except in {@link extractFile}.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { load as loadYaml } from 'js-yaml';

/** Every kind a marker may name; see docs/testing.md for what each one checks. */
export const EXAMPLE_KINDS = [
  'run',
  'typecheck',
  'vitest',
  'tenant-node',
  'tree',
  'json',
  'shell',
  'output',
  'text',
  'temporal-workflow',
] as const;
export type ExampleKind = (typeof EXAMPLE_KINDS)[number];

/** The marker above a fence. */
export interface ExampleMarker {
  kind: string;
  /** Text after the kind on the marker's first line (free text), trimmed; '' when none. */
  note: string;
  /** `id=<name>` from the note, if any. */
  id?: string;
  /** The YAML options on the marker's further lines, parsed; {} when none. */
  options: Record<string, unknown>;
  /** 1-based line of the comment's `<!--`. */
  line: number;
}

/** One fenced block. */
export interface CodeBlock {
  /** The markdown file, as given to {@link extractBlocks}. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word, lower-cased ('' for a bare fence). */
  lang: string;
  /** The block's text, with the fence's indentation removed, ending in a newline. */
  code: string;
  /** The marker on the line above the fence, or undefined when there is none. */
  marker?: ExampleMarker;
}

/** A problem with a marker that makes the block unusable as an example. */
export interface MarkerProblem {
  file: string;
  line: number;
  message: string;
}

const FENCE_OPEN = /^( {0,3}|\s*)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
const MARKER_START = /<!--\s*example:\s*(.*)$/;

/** The fenced blocks of one markdown text, in order. */
export function extractBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const text = lines[j]!;
      const trimmed = text.trim();
      if (trimmed.startsWith(fence[0]!.repeat(fence.length)) && /^(`+|~+)$/.test(trimmed)) break;
      body.push(text.slice(Math.min(indent, text.length - text.trimStart().length)));
    }
    blocks.push({
      file,
      line: i + 1,
      lang: open[3]!.toLowerCase(),
      code: body.length ? `${body.join('\n')}\n` : '',
      marker: markerAbove(lines, i),
    });
    i = j;
  }
  return blocks;
}

/**
 * The `<!-- example: … -->` comment whose `-->` is on the line just above `fenceIndex`, or
 * undefined. A comment that does not start with `example:` is not a marker.
 */
function markerAbove(lines: string[], fenceIndex: number): ExampleMarker | undefined {
  const above = fenceIndex - 1;
  if (above < 0 || !lines[above]!.trimEnd().endsWith('-->')) return undefined;
  let start = above;
  while (start >= 0 && !lines[start]!.includes('<!--')) start--;
  if (start < 0) return undefined;
  const first = MARKER_START.exec(lines[start]!);
  if (!first) return undefined;
  const indent = lines[start]!.length - lines[start]!.trimStart().length;
  let head = first[1]!;
  let rest: string[] = [];
  if (start === above) {
    head = head.replace(/-->\s*$/, '');
  } else {
    rest = lines.slice(start + 1, above + 1).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)));
    rest[rest.length - 1] = rest[rest.length - 1]!.replace(/-->\s*$/, '');
  }
  head = head.trim();
  const kind = /^\S*/.exec(head)![0];
  // The note may be set off with an em dash, a double hyphen, a hyphen or a colon.
  const note = head.slice(kind.length).trim().replace(/^(—|--|-|:)\s*/, '');
  const id = /(?:^|\s)id=([\w.-]+)/.exec(note)?.[1];
  const yaml = rest.join('\n');
  const parsed = yaml.trim() ? loadYaml(yaml) : {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`marker options above line ${fenceIndex + 1} are not a YAML mapping`);
  }
  return { kind, note, ...(id ? { id } : {}), options: parsed as Record<string, unknown>, line: start + 1 };
}

/**
 * What is wrong with the markers of `blocks`: a block with no marker, an unknown kind (there is no
 * kind that skips a block), a duplicate `id`. An empty list means every block says how it is checked.
 */
export function markerProblems(blocks: readonly CodeBlock[]): MarkerProblem[] {
  const problems: MarkerProblem[] = [];
  const ids = new Map<string, CodeBlock>();
  for (const block of blocks) {
    const where = { file: block.file, line: block.line };
    const marker = block.marker;
    if (!marker) {
      problems.push({
        ...where,
        message: `fenced block (${block.lang || 'no language'}) has no <!-- example: … --> marker on the line above; say how it is checked (docs/testing.md)`,
      });
      continue;
    }
    if (!(EXAMPLE_KINDS as readonly string[]).includes(marker.kind)) {
      problems.push({ ...where, message: `unknown example kind "${marker.kind}"; known: ${EXAMPLE_KINDS.join(', ')}` });
    }
    if (marker.id) {
      const other = ids.get(marker.id);
      if (other) problems.push({ ...where, message: `id=${marker.id} is also used at ${other.file}:${other.line}` });
      ids.set(marker.id, block);
    }
  }
  return problems;
}

/** The blocks of a markdown file on disk; `name` is how the file is reported (a repository path). */
export function extractFile(path: string, name = path): CodeBlock[] {
  return extractBlocks(name, readFileSync(path, 'utf8'));
}
