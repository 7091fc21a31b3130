/**
 * The JSON Schemas of the marketplace routes (validation, serialization, OpenAPI), next to the
 * upload API's in schemas.ts. As there, grammars (listing ids, publisher slugs, categories,
 * versions) are the library's to check (src/marketplace/, src/registry/ids.ts): these schemas fix
 * types and bound sizes. The shapes are what other tenants may see: no tenant ids, and user ids
 * only where the reader is a platform admin or the same tenant (marketplace-records.ts).
 *
 * @module
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT } from '../marketplace/marketplace.js';
import { SUPPORT_LEVELS, type CatalogueVersionState, type ListingSort, type SupportLevel } from '../marketplace/types.js';
import { errors, NEXT_CURSOR, NODE_NAME, ONE_NODE, PAGE_QUERY, VERSION } from './schemas.js';

const SUPPORT_LEVEL = Type.Unsafe<SupportLevel>({ type: 'string', enum: [...SUPPORT_LEVELS], description: 'how far the platform vouches for the publisher, set by a platform admin' });
const VERSION_STATE = Type.Unsafe<CatalogueVersionState>({
  type: 'string',
  enum: ['pending_review', 'published', 'yanked'] satisfies CatalogueVersionState[],
  description: 'pending_review (seen by its publisher and admins only) → published (installable) → yanked (runs for pinned installs, not installable)',
});
const SORT = Type.Unsafe<ListingSort>({ type: 'string', enum: ['rating', 'installs', 'recent'] satisfies ListingSort[], description: 'default `recent` (last change first)' });

const LISTING_ID = Type.String({ description: '`<publisher slug>.<NodeName>`, e.g. `acme-tools.SendSlackMessage`', examples: ['acme-tools.SendSlackMessage'] });
const SLUG = Type.String({ description: 'a publisher slug: 3-40 characters of a-z, 0-9 and single hyphens, starting with a letter, e.g. `acme-tools`' });
const TIME = Type.String({ description: 'ISO 8601' });
const REASON = Type.String({ minLength: 1, maxLength: 500 });

const PublisherSummary = Type.Object({ slug: SLUG, displayName: Type.String(), supportLevel: SUPPORT_LEVEL });

const Publisher = Type.Object(
  { slug: SLUG, displayName: Type.String({ description: 'shown to users, e.g. `Acme Tools`' }), supportLevel: SUPPORT_LEVEL, createdAt: TIME },
  { $id: 'MarketplacePublisher', title: 'MarketplacePublisher' },
);

const Listing = Type.Object(
  {
    id: LISTING_ID,
    name: NODE_NAME,
    category: Type.String({ description: 'one lowercase word or slug, e.g. `messaging`' }),
    description: Type.String(),
    publisher: PublisherSummary,
    latestVersion: Type.Union([VERSION, Type.Null()], { description: 'the highest published version (stable first); `null` when none is installable' }),
    ratingAverage: Type.Union([Type.Number(), Type.Null()], { description: 'Bayesian average of the visible ratings, `(5 × 3 + Σ ratings) / (5 + n)`, two decimals; `null` without ratings' }),
    ratingCount: Type.Integer({ description: 'visible (not hidden) ratings' }),
    installCount: Type.Integer({ description: 'distinct tenants that have it installed' }),
    updatedAt: TIME,
  },
  { $id: 'MarketplaceListing', title: 'MarketplaceListing' },
);

const CatalogueVersion = Type.Object(
  {
    version: VERSION,
    state: VERSION_STATE,
    source: Type.String({ description: 'the publisher tenant\'s version it was copied from, as the upload API names it: `Name@version`' }),
    sha256: Type.String({ description: 'sha256 of the catalogue\'s bundle; every load of an install re-checks it' }),
    sourceSha256: Type.String(),
    listedAt: TIME,
    publishedAt: Type.Optional(TIME),
    yanked: Type.Optional(Type.Object({ reason: Type.String(), at: TIME })),
  },
  { $id: 'MarketplaceVersion', title: 'MarketplaceVersion' },
);

const Review = Type.Object(
  {
    id: Type.String({ description: 'stable per (tenant, user): what `hide` takes' }),
    rating: Type.Integer({ minimum: 1, maximum: 5 }),
    body: Type.String(),
    version: Type.String({ description: 'the version the reviewer\'s tenant had installed' }),
    createdAt: TIME,
    updatedAt: TIME,
    tenantId: Type.Optional(Type.String({ description: 'platform admins and the reviewer\'s own tenant only' })),
    userId: Type.Optional(Type.String({ description: 'platform admins and the reviewer\'s own tenant only' })),
    hidden: Type.Optional(Type.Object({ reason: Type.String(), by: Type.String(), at: TIME }, { description: 'platform admins and the reviewer\'s own tenant only' })),
  },
  { $id: 'MarketplaceReview', title: 'MarketplaceReview' },
);

const ListingDetails = Type.Intersect(
  [
    Type.Ref('MarketplaceListing'),
    Type.Object({
      createdAt: TIME,
      versions: Type.Array(Type.Ref('MarketplaceVersion'), { description: 'highest first; pending ones only for the publisher\'s tenant and admins' }),
      reviews: Type.Array(Type.Ref('MarketplaceReview'), { description: 'last changed first; hidden ones only for admins' }),
    }),
  ],
  { $id: 'MarketplaceListingDetails', title: 'MarketplaceListingDetails' },
);

const Install = Type.Object(
  {
    as: NODE_NAME,
    listingId: LISTING_ID,
    version: Type.String({ description: 'the pinned catalogue version; changed only by an explicit upgrade' }),
    installedAt: TIME,
    installedBy: Type.String(),
    upgradedAt: Type.Optional(TIME),
  },
  { $id: 'MarketplaceInstall', title: 'MarketplaceInstall' },
);

/** Shared schemas of the marketplace, added only when the plugin serves one. */
export const marketplaceSharedSchemas: TSchema[] = [Publisher, Listing, CatalogueVersion, Review, ListingDetails, Install];

const ONE_LISTING = Type.Object({ listing: Type.Ref('MarketplaceListingDetails') });
const ONE_INSTALL = Type.Object({ install: Type.Ref('MarketplaceInstall') });
const ONE_PUBLISHER = Type.Object({ publisher: Type.Ref('MarketplacePublisher') });
const ONE_REVIEW = Type.Object({ review: Type.Ref('MarketplaceReview') });
const WRITE_ERRORS = [403, 404, 409, 413, 415];

const LISTING_PARAMS = Type.Object({ id: LISTING_ID });
const VERSION_PARAMS = Type.Object({ id: LISTING_ID, version: VERSION });
const INSTALL_PARAMS = Type.Object({ as: NODE_NAME });
const SLUG_PARAMS = Type.Object({ slug: SLUG });
const PICK_VERSION = Type.Object(
  {
    version: Type.Optional(Type.String({ maxLength: 128, description: 'a published version; default the latest' })),
    as: Type.Optional(Type.String({ maxLength: 128, description: 'the node name in your trees; default the listing\'s name' })),
  },
  { additionalProperties: false },
);
const NO_BODY = Type.Optional(Type.Object({}, { additionalProperties: false }));

/** A POST that answers one record: 200, and 201 when `created`. */
function write(summary: string, description: string, parts: { params?: TSchema; body?: TSchema }, answer: TSchema, created = false) {
  return { summary, description, ...parts, response: { 200: answer, ...(created ? { 201: answer } : {}), ...errors(...WRITE_ERRORS) } };
}

export const searchSchema = {
  summary: 'Browse and search the marketplace',
  description:
    'Listings with a published version (plus your tenant\'s own, and everything for platform admins), filtered by every word of `q` ' +
    '(name, description, category, publisher), `category` and `supportLevel`, sorted by `rating`, `installs` or `recent`. ' +
    `Pages of \`limit\` listings (default ${DEFAULT_SEARCH_LIMIT}, at most ${MAX_SEARCH_LIMIT}).`,
  querystring: Type.Object(
    {
      q: Type.Optional(Type.String({ maxLength: 200, description: 'words that must all appear' })),
      category: Type.Optional(Type.String({ maxLength: 64 })),
      supportLevel: Type.Optional(SUPPORT_LEVEL),
      sort: Type.Optional(SORT),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SEARCH_LIMIT, default: DEFAULT_SEARCH_LIMIT, description: `listings per page (default ${DEFAULT_SEARCH_LIMIT}, at most ${MAX_SEARCH_LIMIT})` })),
      cursor: PAGE_QUERY.cursor,
    },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ listings: Type.Array(Type.Ref('MarketplaceListing')), nextCursor: NEXT_CURSOR }), ...errors(403) },
};

export const listingSchema = {
  summary: 'One listing, with its versions and reviews',
  description: 'A listing you may not see (nothing published yet, not yours) answers 404, like one that does not exist.',
  params: LISTING_PARAMS,
  response: { 200: ONE_LISTING, ...errors(403, 404) },
};

export const listVersionSchema = write(
  'List one of your tenant\'s approved versions in the marketplace',
  'Copies the approved version `source` (`Name@version`, as the upload API names it) into the catalogue under your tenant\'s publisher, as `pending_review` until a platform admin publishes it. ' +
    '`category` and `description` are required for a new listing and ignored after. 201 when the version was added; 200 when it was already listed (nothing changes).',
  {
    body: Type.Object(
      {
        source: Type.String({ maxLength: 200, description: 'your approved version, e.g. `SendSlackMessage@1.0.0`' }),
        category: Type.Optional(Type.String({ maxLength: 64, description: 'one lowercase word or slug, e.g. `messaging`' })),
        description: Type.Optional(Type.String({ maxLength: 500 })),
      },
      { additionalProperties: false },
    ),
  },
  ONE_LISTING,
  true,
);

/** `POST /marketplace/listings/:id/<action>` with `{ version?, as? }`: install and fork. */
const pickVersion = (summary: string, description: string, answer: TSchema) => write(summary, description, { params: LISTING_PARAMS, body: PICK_VERSION }, answer, true);

export const installSchema = pickVersion(
  'Install a listing into your tenant, pinned',
  'By reference, pinned to `version` (default the latest published), under the node name `as` (default the listing\'s). ' +
    '201 when installed; 200 when the same install already existed. A yanked or unpublished version, or a name your tenant already uses, answers 409.',
  ONE_INSTALL,
);

export const forkSchema = pickVersion(
  'Fork a listing into your registry as a draft',
  'Copies a published version\'s source (default the latest) into your tenant\'s registry as a new draft named `as` (default the listing\'s name), same version number; ' +
    'it then goes through your own review. 201 with the draft; 200 when the same draft already existed.',
  ONE_NODE,
);

export const reviewSchema = write(
  'Rate and review a listing your tenant installed',
  'One review per (listing, tenant, user): 201 for a new review, 200 when it replaced yours. Without an install of the listing in your tenant: 409.',
  {
    params: LISTING_PARAMS,
    body: Type.Object({ rating: Type.Integer({ minimum: 1, maximum: 5 }), body: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }),
  },
  ONE_REVIEW,
  true,
);

export const installsSchema = {
  summary: 'Your tenant\'s installs, by name',
  querystring: Type.Object(PAGE_QUERY, { additionalProperties: false }),
  response: { 200: Type.Object({ installs: Type.Array(Type.Ref('MarketplaceInstall')), nextCursor: NEXT_CURSOR }), ...errors(403) },
};

export const upgradeSchema = write(
  'Move an install to another published version',
  'Upgrades are explicit: an install never moves by itself. Default: the latest published version. The same version again changes nothing.',
  { params: INSTALL_PARAMS, body: Type.Object({ version: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }) },
  ONE_INSTALL,
);

export const uninstallSchema = write('Remove an install', 'Answers with the install that was removed; an unknown install (also a second uninstall) answers 404.', { params: INSTALL_PARAMS, body: NO_BODY }, ONE_INSTALL);

export const registerPublisherSchema = write(
  'Register your tenant\'s publisher',
  'One publisher per tenant. `slug` and `displayName` must not look like another publisher\'s (case, Unicode NFKC, confusable letters, invisible characters, spacing and separators are ignored when comparing): 409. ' +
    '201 when registered; 200 when your tenant already had this publisher.',
  { body: Type.Object({ slug: Type.String({ maxLength: 100 }), displayName: Type.String({ maxLength: 200 }) }, { additionalProperties: false }) },
  ONE_PUBLISHER,
  true,
);

export const publisherSchema = {
  summary: 'One publisher',
  params: SLUG_PARAMS,
  response: { 200: ONE_PUBLISHER, ...errors(403, 404) },
};

export const publishSchema = write(
  'Platform admin: publish a listed version',
  'pending_review → published (installable). Publishing a published version changes nothing; a yanked one answers 409.',
  { params: VERSION_PARAMS, body: NO_BODY },
  ONE_LISTING,
);

export const yankSchema = write(
  'Withdraw a version (platform admin, or the listing\'s publisher)',
  'The version stays runnable for every install pinned to it, but can no longer be installed. Allowed to platform admins, and to users of the listing\'s own publisher tenant with `marketplacePublish` (403 for other publishers). Yanking a yanked version changes nothing.',
  { params: VERSION_PARAMS, body: Type.Object({ reason: REASON }, { additionalProperties: false }) },
  ONE_LISTING,
);

export const supportLevelSchema = write(
  'Platform admin: set a publisher\'s support level',
  '`community` (the default), `verified` or `certified`.',
  { params: SLUG_PARAMS, body: Type.Object({ supportLevel: SUPPORT_LEVEL }, { additionalProperties: false }) },
  ONE_PUBLISHER,
);

export const hideReviewSchema = write(
  'Platform admin: hide a review',
  'A hidden review is neither shown (but to admins) nor counted in `ratingAverage` and `ratingCount`. Hiding a hidden review changes nothing.',
  { params: Type.Object({ id: LISTING_ID, reviewId: Type.String({ maxLength: 64 }) }), body: Type.Object({ reason: REASON }, { additionalProperties: false }) },
  ONE_REVIEW,
);
