/**
 * `#/marketplace`: browse and search the platform's shared nodes (sorted by recent change, rating
 * or installs), with the tenant's installs; `#/marketplace/:id`: one listing, its versions and
 * reviews, with Install (confirmed) and a review form. Listings and reviews are other tenants'
 * words: every one goes in as text.
 *
 * @module
 */
import type { App } from '../app.js';
import { seg } from '../api.js';
import { confirmAction } from '../dialog.js';
import { h, route, time } from '../dom.js';
import type { Install, Listing, ListingDetails, Review } from '../types.js';
import { empty, facts, field, loadMore, statusBadge } from '../widgets.js';

type ListingPage = { listings: Listing[]; nextCursor: string | null };

const SORTS = [
  ['recent', 'Recently changed'],
  ['rating', 'Rating'],
  ['installs', 'Installs'],
] as const;

function unavailable(app: App): HTMLElement | undefined {
  if (!app.session.marketplace) return h('section', null, h('h1', null, 'Marketplace'), h('p', null, 'This server has no marketplace.'));
  if (!app.can('marketplaceRead')) return h('section', null, h('h1', null, 'Marketplace'), h('p', null, 'Your roles do not allow browsing the marketplace.'));
  return undefined;
}

/** `#/marketplace?q=&sort=`. */
export async function marketplacePage(app: App, query: URLSearchParams): Promise<Node> {
  const refused = unavailable(app);
  if (refused) return refused;
  const q = query.get('q') ?? '';
  const sort = SORTS.some(([value]) => value === query.get('sort')) ? query.get('sort')! : 'recent';
  const [first, installs] = await Promise.all([
    app.api.get<ListingPage>('/marketplace/listings', { q, sort }),
    app.can('marketplaceInstall') ? app.api.get<{ installs: Install[] }>('/marketplace/installs', { limit: 1000 }).then((r) => r.installs) : Promise.resolve(undefined),
  ]);

  const search = field('Search', h('input', { type: 'search', name: 'q', value: q, autocomplete: 'off' }), 'Every word must appear in the name, description, category or publisher.');
  const sortField = field('Sort by', h('select', { name: 'sort' }, SORTS.map(([value, label]) => h('option', { value, selected: value === sort }, label))));
  const form = h('form', { class: 'search-form', role: 'search', 'aria-label': 'Search the marketplace' }, search.wrapper, sortField.wrapper, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Search')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (search.control.value.trim()) params.set('q', search.control.value.trim());
    if (sortField.control.value !== 'recent') params.set('sort', sortField.control.value);
    const suffix = params.toString();
    app.navigate(suffix ? `${route('marketplace')}?${suffix}` : route('marketplace'));
  });

  const list = h('ul', { class: 'cards' }, first.listings.map((l) => listingCard(l, installs)));
  return h(
    'section',
    { class: 'page-marketplace' },
    h('h1', null, 'Marketplace'),
    form,
    h('h2', { class: 'results-heading' }, q ? `Listings matching “${q}”` : 'Listings'),
    first.listings.length === 0 ? empty(q ? 'No listing matches your search.' : 'Nothing is published yet.') : list,
    loadMore(
      'Load more listings',
      first.nextCursor,
      async (cursor) => {
        const page = await app.api.get<ListingPage>('/marketplace/listings', { q, sort, cursor });
        return { items: page.listings, nextCursor: page.nextCursor };
      },
      (items) => list.append(...items.map((l) => listingCard(l, installs))),
      (error) => app.showError(error),
    ),
    installs ? installsSection(installs) : null,
  );
}

function rating(l: Listing): string {
  return l.ratingAverage === null ? 'No ratings yet' : `Rated ${l.ratingAverage.toFixed(2)} of 5 (${l.ratingCount} rating${l.ratingCount === 1 ? '' : 's'})`;
}

function listingCard(l: Listing, installs: readonly Install[] | undefined): HTMLElement {
  const installed = installs?.find((i) => i.listingId === l.id);
  return h(
    'li',
    { class: 'card', 'data-listing': l.id },
    h('h3', { class: 'card-title' }, h('a', { href: route('marketplace', l.id) }, l.name)),
    h('p', { class: 'card-meta' }, 'by ', l.publisher.displayName, ' ', statusBadge(l.publisher.supportLevel), ' · ', l.category),
    h('p', { class: 'card-description' }, l.description),
    h('p', { class: 'card-meta' }, l.latestVersion ? `Latest ${l.latestVersion}` : 'No installable version', ' · ', rating(l), ' · ', `${l.installCount} install${l.installCount === 1 ? '' : 's'}`),
    installed ? h('p', { class: 'card-meta' }, statusBadge('installed'), ` as ${installed.as} at ${installed.version}`) : null,
  );
}

function installsSection(installs: readonly Install[]): HTMLElement {
  return h(
    'section',
    { class: 'panel' },
    h('h2', null, 'Your installs'),
    installs.length === 0
      ? empty('Your tenant has installed nothing yet.')
      : h(
          'table',
          { class: 'table stack' },
          h('thead', null, h('tr', null, ['Name in your trees', 'Listing', 'Version', 'Installed'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            null,
            installs.map((i) =>
              h(
                'tr',
                null,
                h('th', { scope: 'row', 'data-label': 'Name in your trees' }, i.as),
                h('td', { 'data-label': 'Listing' }, h('a', { href: route('marketplace', i.listingId) }, i.listingId)),
                h('td', { 'data-label': 'Version' }, i.version),
                h('td', { 'data-label': 'Installed' }, time(i.installedAt), ` by ${i.installedBy}`),
              ),
            ),
          ),
        ),
  );
}

/** `#/marketplace/:id`. */
export async function listingPage(app: App, id: string, reload: (message?: string) => void): Promise<Node> {
  const refused = unavailable(app);
  if (refused) return refused;
  const [{ listing: l }, installs] = await Promise.all([
    app.api.get<{ listing: ListingDetails }>(`/marketplace/listings/${seg(id)}`),
    app.can('marketplaceInstall') ? app.api.get<{ installs: Install[] }>('/marketplace/installs', { limit: 1000 }).then((r) => r.installs) : Promise.resolve(undefined),
  ]);
  const installed = installs?.find((i) => i.listingId === l.id);
  return h(
    'section',
    { class: 'page-listing' },
    h('p', { class: 'breadcrumbs' }, h('a', { href: route('marketplace') }, 'Marketplace'), ' / '),
    h('h1', null, l.name),
    h('p', { class: 'description' }, l.description),
    facts([
      ['Listing', h('code', null, l.id)],
      ['Publisher', [l.publisher.displayName, ' ', statusBadge(l.publisher.supportLevel)]],
      ['Category', l.category],
      ['Latest version', l.latestVersion ?? 'none installable'],
      ['Rating', rating(l)],
      ['Installs', String(l.installCount)],
      ['Updated', time(l.updatedAt)],
    ]),
    installPanel(app, l, installed, reload),
    versionsPanel(l),
    reviewsPanel(app, l, installed, reload),
  );
}

function installPanel(app: App, l: ListingDetails, installed: Install | undefined, reload: (message?: string) => void): HTMLElement | null {
  if (!app.can('marketplaceInstall')) return null;
  if (installed) {
    return h('section', { class: 'panel' }, h('h2', null, 'Install'), h('p', null, statusBadge('installed'), ` Your tenant has ${l.id} installed as ${installed.as}, pinned to ${installed.version}.`));
  }
  const installable = l.versions.filter((v) => v.state === 'published');
  if (installable.length === 0) return h('section', { class: 'panel' }, h('h2', null, 'Install'), empty('No version can be installed.'));
  const version = field('Version', h('select', { name: 'version' }, installable.map((v) => h('option', { value: v.version, selected: v.version === l.latestVersion }, v.version))));
  const as = field('Name in your trees', h('input', { type: 'text', name: 'as', autocomplete: 'off', spellcheck: 'false', placeholder: l.name }), `Optional: defaults to ${l.name}.`);
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Install');
  const form = h('form', { 'aria-label': `Install ${l.name}` }, version.wrapper, as.wrapper, h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = as.control.value.trim() || l.name;
    const answers = await confirmAction({
      title: `Install ${l.name} ${version.control.value}?`,
      body: `Your tenant's trees can then use ${l.id} as ${name}, pinned to ${version.control.value}: it runs in your sandbox, and moves to another version only when you upgrade it.`,
      confirmLabel: 'Install',
    });
    if (answers === null) return;
    submit.disabled = true;
    try {
      const body: Record<string, string> = { version: version.control.value };
      if (as.control.value.trim()) body.as = as.control.value.trim();
      await app.api.post(`/marketplace/listings/${seg(l.id)}/install`, body);
      reload(`Installed ${l.name} ${version.control.value} as ${name}.`);
    } catch (error) {
      app.showError(error);
      submit.disabled = false;
    }
  });
  return h('section', { class: 'panel' }, h('h2', null, 'Install'), form);
}

function versionsPanel(l: ListingDetails): HTMLElement {
  return h(
    'section',
    { class: 'panel' },
    h('h2', null, 'Versions'),
    h(
      'table',
      { class: 'table stack' },
      h('thead', null, h('tr', null, ['Version', 'State', 'Published', 'Note'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        null,
        l.versions.map((v) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row', 'data-label': 'Version' }, v.version),
            h('td', { 'data-label': 'State' }, statusBadge(v.state)),
            h('td', { 'data-label': 'Published' }, v.publishedAt ? time(v.publishedAt) : '—'),
            h('td', { 'data-label': 'Note' }, v.yanked ? `Yanked: ${v.yanked.reason}` : ''),
          ),
        ),
      ),
    ),
  );
}

function stars(n: number): string {
  return '★'.repeat(n) + '☆'.repeat(Math.max(0, 5 - n));
}

function reviewItem(r: Review): HTMLElement {
  return h(
    'li',
    { class: 'review', 'data-review': r.id },
    h('p', { class: 'review-rating' }, h('span', { 'aria-hidden': 'true' }, stars(r.rating)), h('span', { class: 'visually-hidden' }, `${r.rating} of 5 stars`), ` · version ${r.version} · `, time(r.updatedAt), r.userId ? ` · ${r.userId}` : null),
    h('p', { class: 'review-body' }, r.body),
    r.hidden ? h('p', { class: 'muted' }, `Hidden: ${r.hidden.reason}`) : null,
  );
}

function reviewsPanel(app: App, l: ListingDetails, installed: Install | undefined, reload: (message?: string) => void): HTMLElement {
  let form: HTMLElement | null = null;
  if (app.can('marketplaceReview')) {
    const ratingField = field('Rating', h('select', { name: 'rating', required: true }, [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, `${n} – ${stars(n)}`))));
    const body = field('Review', h('textarea', { name: 'body', rows: 4, maxlength: 2000 }), installed ? 'What worked, what did not.' : 'Only tenants that installed this listing can review it.');
    const submit = h('button', { type: 'submit', class: 'button primary' }, 'Submit review');
    form = h('form', { class: 'review-form', 'aria-label': 'Review this listing' }, ratingField.wrapper, body.wrapper, h('div', { class: 'form-actions' }, submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        await app.api.post(`/marketplace/listings/${seg(l.id)}/reviews`, { rating: Number(ratingField.control.value), body: body.control.value });
        reload('Your review was saved.');
      } catch (error) {
        app.showError(error);
        submit.disabled = false;
      }
    });
  }
  return h(
    'section',
    { class: 'panel' },
    h('h2', null, 'Reviews'),
    l.reviews.length === 0 ? empty('No reviews yet.') : h('ul', { class: 'reviews' }, l.reviews.map(reviewItem)),
    form ? [h('h3', null, 'Your review'), form] : null,
  );
}
