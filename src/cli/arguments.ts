/**
 * Node names and version ids given on the command line, checked with the registry's grammar; a
 * bad one is a usage error (exit 2) that says how to write it.
 *
 * @module
 */
import { isBtreePluginsError } from '../errors.js';
import { assertNodeName, assertVersion } from '../registry/ids.js';
import { CliError, EXIT, type CliIo } from './output.js';
import { loadProject } from './project.js';

/** A node name (`SendSlackMessage`). */
export function nodeNameArgument(text: string): string {
  try {
    assertNodeName(text);
  } catch (e) {
    throw new CliError(`${JSON.stringify(text)} is not a node name: ${isBtreePluginsError(e) ? e.detail : String(e)}`, EXIT.usage, 'use PascalCase letters and digits, e.g. SendSlackMessage');
  }
  return text;
}

/** `Name@1.2.0`, or `Name` with the version the project lists for it. */
export async function versionArgument(text: string, io: CliIo): Promise<{ name: string; version: string }> {
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  let version = at < 0 ? undefined : text.slice(at + 1);
  nodeNameArgument(name);
  if (version === undefined) {
    const project = await loadProject(io.cwd).catch(() => undefined);
    version = project?.nodes.find((n) => n.name === name)?.version;
    if (version === undefined) throw new CliError(`${text} names no version, and no project here lists ${name}`, EXIT.usage, `give the version: ${name}@1.0.0`);
  }
  try {
    assertVersion(version);
  } catch (e) {
    throw new CliError(`${JSON.stringify(text)} is not a version id: ${isBtreePluginsError(e) ? e.detail : String(e)}`, EXIT.usage, 'write Name@version, e.g. SendSlackMessage@1.0.0');
  }
  return { name, version };
}
