/**
 * What every page gets: the API client, the session (who is signed in and what they may do), the
 * error banner, the status line (an `aria-live` region) and navigation. The shell — header with
 * navigation and the tenant/user, banner, status line and `<main>` — is built here once.
 *
 * @module
 */
import { ApiRequestError, type ApiClient } from './api.js';
import { h, isSafeUrl, replaceChildren, route } from './dom.js';
import type { Permission, Session, TenantInfo } from './types.js';

/** What a page works with. */
export interface App {
  readonly api: ApiClient;
  readonly session: Session;
  /** True when the signed-in user has `permission` (as `GET /session` said). */
  can(permission: Permission): boolean;
  /** Shows an error in the banner: the API's message and hint. */
  showError(error: unknown): void;
  clearError(): void;
  /** Says something in the status line (read out by screen readers) until the next page. */
  announce(message: string): void;
  /** Goes to a hash route (`#/versions/…`), saying `message` on the new page. */
  navigate(hash: string, message?: string): void;
  /** `GET /tenant`, read once. */
  tenant(): Promise<TenantInfo>;
}

/** The elements of the shell the router fills. */
export interface Shell {
  main: HTMLElement;
  nav: HTMLElement;
  banner: HTMLElement;
  status: HTMLElement;
}

/** A navigation entry; shown when `visible` says so. */
interface NavItem {
  label: string;
  hash: string;
  visible: (session: Session) => boolean;
}

const NAV: readonly NavItem[] = [
  { label: 'Nodes', hash: '#/nodes', visible: (s) => s.can.read !== false },
  { label: 'Upload', hash: '#/upload', visible: (s) => s.can.upload === true },
  { label: 'Playground', hash: '#/playground', visible: (s) => s.can.playground === true },
  { label: 'Marketplace', hash: '#/marketplace', visible: (s) => s.marketplace && s.can.marketplaceRead === true },
];

/** Builds the page frame into `root`: skip link, header, banner, status line, main. */
export function buildShell(root: HTMLElement, title: string, session: Session | null): Shell {
  const main = h('main', { id: 'main', class: 'main', tabindex: -1 });
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Main' },
    session ? h('ul', null, NAV.filter((item) => item.visible(session)).map((item) => h('li', null, h('a', { href: item.hash, 'data-nav': item.hash }, item.label)))) : null,
  );
  const who = session
    ? h(
        'p',
        { class: 'who' },
        h('span', { class: 'who-label' }, 'Signed in as '),
        h('strong', { class: 'who-user' }, session.userId),
        h('span', { class: 'who-label' }, ' · tenant '),
        h('strong', { class: 'who-tenant' }, session.tenantId),
      )
    : null;
  replaceChildren(
    root,
    h('a', { class: 'skip-link', href: '#main', on: { click: (event) => skipToMain(event, main) } }, 'Skip to content'),
    h('header', { class: 'header' }, h('a', { class: 'brand', href: session ? route('nodes') : '#' }, title), nav, who),
    h('div', { class: 'page' }, banner, status, main),
  );
  return { main, nav, banner, status };
}

/** The skip link must not change the hash (that is the router's): focus `<main>` instead. */
function skipToMain(event: Event, main: HTMLElement): void {
  event.preventDefault();
  main.focus();
}

/** Marks the navigation link of the current route with `aria-current="page"`. */
export function markCurrentNav(nav: HTMLElement, hash: string): void {
  for (const link of nav.querySelectorAll<HTMLAnchorElement>('a[data-nav]')) {
    const target = link.dataset.nav!;
    const current = hash === target || hash.startsWith(`${target}/`) || hash.startsWith(`${target}?`);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** Fills the banner with an error: its message, the API's hint, and the code. */
export function renderError(banner: HTMLElement, error: unknown): void {
  const api = error instanceof ApiRequestError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const dismiss = h('button', { type: 'button', class: 'button secondary banner-dismiss', on: { click: () => clearBanner(banner) } }, 'Dismiss');
  replaceChildren(
    banner,
    h(
      'div',
      { class: 'banner-text' },
      h('p', { class: 'banner-message' }, message),
      api?.hint ? h('p', { class: 'banner-hint' }, 'Hint: ', api.hint) : null,
      api ? h('p', { class: 'banner-code' }, api.status ? `${api.status} ${api.code}` : api.code, api.requestId ? ` · request ${api.requestId}` : null) : null,
    ),
    dismiss,
  );
  banner.hidden = false;
}

/** Empties and hides the banner. */
export function clearBanner(banner: HTMLElement): void {
  banner.replaceChildren();
  banner.hidden = true;
}

/** The "You are not signed in" page, with a sign-in link when the host configured one. */
export function signedOutView(signInUrl: string | undefined): HTMLElement {
  const link = signInUrl && isSafeUrl(signInUrl) ? h('p', null, h('a', { class: 'button primary', href: signInUrl }, 'Sign in')) : null;
  return h(
    'section',
    { class: 'signed-out' },
    h('h1', { tabindex: -1 }, 'You are not signed in'),
    h('p', null, link ? 'Sign in to upload, review and release your nodes.' : 'Sign in through your platform, then reload this page.'),
    link,
  );
}
