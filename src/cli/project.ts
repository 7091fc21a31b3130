/**
 * A node author's project: `package.json` with a `btreePlugins.nodes` list naming each node, its
 * version and its entry file. Every command that works on nodes reads it from here.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { readNodeFiles, type NodeFiles } from '../authoring/node-files.js';
import { isBtreePluginsError } from '../errors.js';
import { assertNodeName, assertVersion } from '../registry/ids.js';
import { CliError, EXIT } from './output.js';

/** The `package.json` key of the project's nodes. */
export const PROJECT_KEY = 'btreePlugins';

/** One node of the project. */
export interface ProjectNode {
  name: string;
  /** The version `deploy` uploads (strict semver); bump it for every change you deploy. */
  version: string;
  /** The entry file, relative to the project folder. */
  entry: string;
  description?: string;
}

/** A project, read. */
export interface Project {
  /** The folder holding its `package.json`. */
  root: string;
  nodes: ProjectNode[];
}

/** The `.test.ts` file beside a node's entry. */
export function testFileOf(project: Project, node: ProjectNode): string {
  return join(project.root, node.entry.replace(/\.(m?ts)$/, '.test.$1'));
}

/** The folder of a node's entry as diagnostics name it: relative to `cwd`, `.` for `cwd` itself. */
export function entryFolderShown(project: Project, node: ProjectNode, cwd: string): string {
  return relative(cwd, dirname(join(project.root, node.entry))) || '.';
}

/** Reads the project whose `package.json` is in `cwd` or the nearest folder above it. */
export async function loadProject(cwd: string): Promise<Project> {
  let dir = resolve(cwd);
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = await readJson(file);
      if (pkg && typeof pkg === 'object' && PROJECT_KEY in pkg) return checkProject(dir, (pkg as Record<string, unknown>)[PROJECT_KEY]);
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new CliError(`no node project here: no package.json with a "${PROJECT_KEY}" section in ${resolve(cwd)} or above it`, EXIT.usage, 'run `btree-plugins init <NodeName>` to create one, or cd into your project');
}

/** The project's nodes named by `names` (all when none are named). */
export function selectNodes(project: Project, names: readonly string[]): ProjectNode[] {
  if (names.length === 0) return project.nodes;
  return names.map((name) => {
    const node = project.nodes.find((n) => n.name === name);
    if (!node) throw new CliError(`no node named ${name} in this project`, EXIT.usage, `the project's nodes: ${project.nodes.map((n) => n.name).join(', ')}`);
    return node;
  });
}

/** The files `deploy` uploads for `node`: its entry and what it imports. */
export async function nodeFiles(project: Project, node: ProjectNode): Promise<NodeFiles> {
  try {
    return await readNodeFiles(join(project.root, node.entry));
  } catch (e) {
    if (isBtreePluginsError(e)) throw new CliError(e.detail, EXIT.usage, e.hint);
    throw e;
  }
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, EXIT.usage, 'fix the file');
  }
}

function checkProject(root: string, section: unknown): Project {
  const where = `${join(root, 'package.json')} "${PROJECT_KEY}"`;
  const bad = (detail: string): never => {
    throw new CliError(`${where}: ${detail}`, EXIT.usage, `expected "${PROJECT_KEY}": { "nodes": [{ "name": "SendSlackMessage", "version": "0.1.0", "entry": "src/send-slack-message.ts" }] }`);
  };
  const nodes = (section as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return bad('`nodes` must be a non-empty list');
  const out: ProjectNode[] = [];
  for (const [i, raw] of nodes.entries()) {
    const n = raw as Partial<ProjectNode> | null;
    if (!n || typeof n !== 'object') return bad(`node ${i + 1} is not an object`);
    try {
      assertNodeName(n.name);
      assertVersion(n.version);
    } catch (e) {
      return bad(`node ${i + 1}: ${isBtreePluginsError(e) ? e.detail : String(e)}`);
    }
    if (typeof n.entry !== 'string' || !existsSync(join(root, n.entry))) return bad(`node ${n.name}: entry ${JSON.stringify(n.entry)} is not a file in the project`);
    if (relative(root, join(root, n.entry)).startsWith('..')) return bad(`node ${n.name}: entry ${n.entry} is outside the project`);
    if (out.some((o) => o.name === n.name)) return bad(`node ${n.name} is listed twice`);
    out.push({ name: n.name!, version: n.version!, entry: n.entry, ...(typeof n.description === 'string' ? { description: n.description } : {}) });
  }
  return { root, nodes: out };
}
