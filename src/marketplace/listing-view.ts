/**
 * How listings look to their readers: the Bayesian rating, the latest installable version, what a
 * viewer may see (pending versions only to the publisher and admins, hidden reviews to nobody but
 * admins), and the sort keys of browse.
 *
 * @module
 */
import semver from 'semver';
import type { CatalogueVersionEntry, ListingDetails, ListingDocument, ListingSort, ListingSummary, Publisher, Review } from './types.js';

/** The prior of the Bayesian average: a listing starts as if it had {@link PRIOR_WEIGHT} ratings of {@link PRIOR_MEAN}. */
export const PRIOR_MEAN = 3;
export const PRIOR_WEIGHT = 5;

/** Who is looking: admins see everything; a publisher's own tenant sees its pending versions. */
export interface Viewer {
  tenantId?: string;
  admin?: boolean;
}

/** The reviews that count: not hidden. */
export function visibleReviews(doc: ListingDocument): Review[] {
  return Object.values(doc.reviews).filter((r) => !r.hidden);
}

/**
 * `(PRIOR_WEIGHT × PRIOR_MEAN + Σ ratings) / (PRIOR_WEIGHT + n)`, two decimals; `null` without
 * ratings. One 5-star rating gives 3.33, not 5: a listing needs many good ratings to rank first.
 */
export function bayesianAverage(ratings: readonly number[]): number | null {
  if (ratings.length === 0) return null;
  const sum = ratings.reduce((a, b) => a + b, 0);
  return Math.round(((PRIOR_WEIGHT * PRIOR_MEAN + sum) / (PRIOR_WEIGHT + ratings.length)) * 100) / 100;
}

/** Highest published version: the highest stable one, else the highest pre-release; `null` when none. */
export function latestPublished(doc: ListingDocument): string | null {
  const published = Object.values(doc.versions)
    .filter((v) => v.state === 'published')
    .map((v) => v.version)
    .sort(semver.rcompare);
  return published.find((v) => semver.prerelease(v) === null) ?? published[0] ?? null;
}

/** Versions a viewer may see, highest first. */
function versionsFor(doc: ListingDocument, publisher: Publisher | undefined, viewer: Viewer): CatalogueVersionEntry[] {
  const own = viewer.tenantId !== undefined && publisher?.tenantId === viewer.tenantId;
  return Object.values(doc.versions)
    .filter((v) => v.state !== 'pending_review' || viewer.admin || own)
    .sort((a, b) => semver.rcompare(a.version, b.version));
}

/** True when a viewer may see the listing at all: it has something published, or the viewer is its publisher or an admin. */
export function canSee(doc: ListingDocument, publisher: Publisher | undefined, viewer: Viewer): boolean {
  if (viewer.admin) return true;
  if (viewer.tenantId !== undefined && publisher?.tenantId === viewer.tenantId) return true;
  return Object.values(doc.versions).some((v) => v.state !== 'pending_review');
}

export function summaryOf(doc: ListingDocument, publisher: Publisher | undefined): ListingSummary {
  const visible = visibleReviews(doc);
  return {
    id: doc.id,
    name: doc.name,
    category: doc.category,
    description: doc.description,
    publisher: { slug: doc.publisher, displayName: publisher?.displayName ?? doc.publisher, supportLevel: publisher?.supportLevel ?? 'community' },
    latestVersion: latestPublished(doc),
    ratingAverage: bayesianAverage(visible.map((r) => r.rating)),
    ratingCount: visible.length,
    installCount: Object.keys(doc.installedBy).length,
    updatedAt: doc.updatedAt,
  };
}

export function detailsOf(doc: ListingDocument, publisher: Publisher | undefined, viewer: Viewer): ListingDetails {
  const reviews = (viewer.admin ? Object.values(doc.reviews) : visibleReviews(doc)).sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
  return { ...summaryOf(doc, publisher), createdAt: doc.createdAt, versions: versionsFor(doc, publisher, viewer), reviews };
}

/** A string key that sorts listings in `sort` order (then by id), for key-based paging. */
export function sortKey(s: ListingSummary, sort: ListingSort): string {
  const pad = (n: number, width: number): string => String(Math.max(0, n)).padStart(width, '0');
  switch (sort) {
    case 'installs':
      return `${pad(1e12 - s.installCount, 13)}|${s.id}`;
    case 'rating':
      return `${s.ratingAverage === null ? '9999' : pad(1000 - Math.round(s.ratingAverage * 100), 4)}|${pad(1e12 - s.ratingCount, 13)}|${s.id}`;
    case 'recent':
      return `${pad(9e15 - Date.parse(s.updatedAt), 16)}|${s.id}`;
  }
}

/** Folds text for search: NFKC, lower case. */
export function searchText(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

/** True when every word of `q` appears in the listing's name, description, category or publisher. */
export function matches(s: ListingSummary, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const hay = searchText([s.name, s.description, s.category, s.publisher.slug, s.publisher.displayName, s.id].join('\n'));
  return words.every((w) => hay.includes(w));
}
