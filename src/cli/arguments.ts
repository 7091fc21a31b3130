/**
 * Node names, version ids, listing ids and categories given on the command line, checked with the
 * library's grammar; a bad one is a usage error (exit 2) that says how to write it.
 *
 * @module
 */
import { isBtreePluginsError } from '../errors.js';
import { CATEGORY_PATTERN, parseListingId } from '../marketplace/marketplace.js';
import { assertNodeName, assertVersion } from '../registry/ids.js';
import { CliError, EXIT, type CliIo } from './output.js';
import { loadProject } from './project.js';

/** Runs the library's check; its failure becomes a usage error that starts with `what`. */
function grammar(check: () => unknown, what: string, hint: string): void {
  try {
    check();
  } catch (e) {
    const detail = isBtreePluginsError(e) ? e.detail : String(e);
    throw new CliError(detail.startsWith(what) ? detail : `${what}: ${detail}`, EXIT.usage, hint);
  }
}

/** A node name (`SendSlackMessage`). */
export function nodeNameArgument(text: string): string {
  grammar(() => assertNodeName(text), `${JSON.stringify(text)} is not a node name`, 'use PascalCase letters and digits, e.g. SendSlackMessage');
  return text;
}

/** A marketplace listing id (`acme-tools.SendSlackMessage`). */
export function listingIdArgument(text: string): string {
  grammar(() => parseListingId(text), `${JSON.stringify(text)} is not a listing id`, 'a listing id is <publisher>.<NodeName>, e.g. acme-tools.SendSlackMessage (marketplace search shows them)');
  return text;
}

/** A version given with `flag` (`--version 1.2.0`). */
export function versionOption(flag: string, text: string): string {
  grammar(() => assertVersion(text), `${flag} ${JSON.stringify(text)} is not a version`, `give a semantic version, e.g. ${flag} 1.0.0`);
  return text;
}

/** A marketplace category given with `flag` (`--category messaging`). */
export function categoryOption(flag: string, text: string): string {
  if (!CATEGORY_PATTERN.test(text)) {
    throw new CliError(`${flag} ${JSON.stringify(text)} is not a category`, EXIT.usage, 'a category is 1-32 characters of a-z, 0-9 and "-", starting with a letter, e.g. messaging');
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
  const v = version;
  grammar(() => assertVersion(v), `${JSON.stringify(text)} is not a version id`, 'write Name@version, e.g. SendSlackMessage@1.0.0');
  return { name, version };
}
