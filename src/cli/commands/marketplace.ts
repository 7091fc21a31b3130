/**
 * The marketplace commands against a target (docs/marketplace.md): `marketplace search` (a table
 * of listings), `marketplace publish <Name@version>` (lists the tenant's approved version; a
 * platform admin publishes it) and `marketplace install <listing-id>` (pinned, into the tenant).
 * Arguments are checked with the library's grammar before anything is sent (exit 2); what the
 * API or the store refuses is exit 3 with its message.
 *
 * @module
 */
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT } from '../../marketplace/marketplace.js';
import { SUPPORT_LEVELS, type ListingSort, type ListingSummary, type SearchQuery, type SupportLevel } from '../../marketplace/types.js';
import { categoryOption, listingIdArgument, nodeNameArgument, versionArgument, versionOption } from '../arguments.js';
import { withTarget, type TargetFlags } from '../connect.js';
import { CliError, EXIT, type CliIo, type ExitCode, type Output } from '../output.js';
import { loadProject } from '../project.js';

/** Sort orders of `marketplace search`. */
export const SEARCH_SORTS: readonly ListingSort[] = ['rating', 'installs', 'recent'];
/** Longest search text the marketplace takes. */
const MAX_QUERY_LENGTH = 200;

export interface SearchFlags extends TargetFlags {
  category?: string;
  supportLevel?: string;
  sort?: string;
  limit?: string;
  cursor?: string;
}

export interface PublishFlags extends TargetFlags {
  category?: string;
  description?: string;
}

export interface InstallFlags extends TargetFlags {
  version?: string;
  as?: string;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new CliError(`${flag} ${JSON.stringify(text)} is not one of ${allowed.join(', ')}`, EXIT.usage, `e.g. ${flag} ${allowed[0]}`);
  return text as T;
}

/** The search the words and flags ask for; a bad value is a usage error. */
export function searchQuery(words: readonly string[], flags: SearchFlags): SearchQuery {
  const query: SearchQuery = {};
  const q = words.join(' ').trim();
  if (q.length > MAX_QUERY_LENGTH) throw new CliError(`the search words are ${q.length} characters, more than ${MAX_QUERY_LENGTH}`, EXIT.usage, 'search with a few words');
  if (q) query.q = q;
  if (flags.category !== undefined) query.category = categoryOption('--category', flags.category);
  if (flags.supportLevel !== undefined) query.supportLevel = oneOf<SupportLevel>('--support-level', flags.supportLevel, SUPPORT_LEVELS);
  if (flags.sort !== undefined) query.sort = oneOf('--sort', flags.sort, SEARCH_SORTS);
  if (flags.limit !== undefined) {
    const limit = /^\d{1,4}$/.test(flags.limit) ? Number(flags.limit) : NaN;
    if (!(limit >= 1 && limit <= MAX_SEARCH_LIMIT)) {
      throw new CliError(`--limit ${JSON.stringify(flags.limit)} is not a number from 1 to ${MAX_SEARCH_LIMIT}`, EXIT.usage, `ask for at most ${MAX_SEARCH_LIMIT} listings per page (default ${DEFAULT_SEARCH_LIMIT})`);
    }
    query.limit = limit;
  }
  if (flags.cursor !== undefined) query.cursor = flags.cursor;
  return query;
}

/** `3.33 (12)`, or `- (0)` without ratings. */
function ratingText(l: ListingSummary): string {
  return `${l.ratingAverage === null ? '-' : l.ratingAverage.toFixed(2)} (${l.ratingCount})`;
}

/** Lines of a table: each column as wide as its widest cell. */
export function tableLines(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

export function marketplaceSearchCommand(words: string[], flags: SearchFlags, out: Output, io: CliIo): Promise<ExitCode> {
  const query = searchQuery(words, flags);
  return withTarget(flags, io, async (target) => {
    const { listings, nextCursor } = await target.searchListings(query);
    out.result({ ok: true, listings, nextCursor });
    if (listings.length === 0) {
      out.line(`no listings${query.q ? ` match ${JSON.stringify(query.q)}` : ''} on ${target.label}`);
    } else {
      const rows = listings.map((l) => [l.id, l.latestVersion ?? '-', `${l.publisher.displayName} (${l.publisher.supportLevel})`, ratingText(l), String(l.installCount)]);
      const [head, ...body] = tableLines([['LISTING', 'LATEST', 'PUBLISHER', 'RATING', 'INSTALLS'], ...rows]);
      out.line(out.color.bold(head!));
      for (const line of body) out.line(line);
    }
    if (nextCursor) out.line(out.color.dim(`more: add --cursor ${nextCursor}`));
    return EXIT.ok;
  });
}

/** `--description`, else the node's description in the project's package.json (a new listing needs one). */
async function descriptionOf(name: string, flags: PublishFlags, io: CliIo): Promise<string | undefined> {
  if (flags.description !== undefined) return flags.description;
  const project = await loadProject(io.cwd).catch(() => undefined);
  return project?.nodes.find((n) => n.name === name)?.description;
}

/** A new listing refused for want of a category or description: the hint names the flags. */
function newListingHint(e: unknown, given: { category?: string; description?: string }): unknown {
  if (!(e instanceof CliError)) return e;
  const missing = (given.category === undefined && /\bnot a category\b/.test(e.message)) || (given.description === undefined && /\bdescription\b/.test(e.message));
  return missing ? new CliError(e.message, e.exitCode, 'a new listing needs --category <category> and --description <text> (or a description in package.json)') : e;
}

export async function marketplacePublishCommand(idText: string, flags: PublishFlags, out: Output, io: CliIo): Promise<ExitCode> {
  const { name, version } = await versionArgument(idText, io);
  const category = flags.category === undefined ? undefined : categoryOption('--category', flags.category);
  const description = await descriptionOf(name, flags, io);
  return withTarget(flags, io, async (target, tenant) => {
    const given = { ...(category !== undefined ? { category } : {}), ...(description !== undefined ? { description } : {}) };
    const listed = await target.listVersion({ source: `${name}@${version}`, ...given }).catch((e: unknown) => {
      throw newListingHint(e, given);
    });
    out.result({ ok: true, ...listed });
    const { listing, version: v } = listed;
    out.line(`${out.color.bold(listing.id)}@${v.version} listed from ${v.source} of tenant ${tenant.tenantId} ${out.color.dim(`(${v.state})`)}`);
    if (v.state === 'pending_review') out.line(`it awaits a platform admin's review: other tenants can find and install it once it is published`);
    else if (v.state === 'published') out.line(`it is published: other tenants can install it with: btree-plugins marketplace install ${listing.id}`);
    else out.line(`it was yanked: it can no longer be installed; list a new version`);
    return EXIT.ok;
  });
}

export function marketplaceInstallCommand(id: string, flags: InstallFlags, out: Output, io: CliIo): Promise<ExitCode> {
  listingIdArgument(id);
  const options: { version?: string; as?: string } = {};
  if (flags.version !== undefined) options.version = versionOption('--version', flags.version);
  if (flags.as !== undefined) options.as = nodeNameArgument(flags.as);
  return withTarget(flags, io, async (target, tenant) => {
    const install = await target.install(id, options);
    out.result({ ok: true, install });
    out.line(`${out.color.bold(install.as)} ${out.color.green('installed')}: ${install.listingId}, pinned to ${out.color.bold(install.version)}`);
    out.line(out.color.dim(`trees of tenant ${tenant.tenantId} use it as \`type: ${install.as}\`; it changes version only when upgraded explicitly`));
    return EXIT.ok;
  });
}
