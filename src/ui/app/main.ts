/**
 * The browser app's entry: reads the API base and the sign-in link from the shell's `<meta>`
 * tags, asks `GET /session` who is signed in (401: the "You are not signed in" page), builds the
 * shell and starts the hash router. Bundled by esbuild for the browser (src/ui/assets.ts).
 *
 * @module
 */
import { ApiClient, ApiRequestError } from './api.js';
import { buildShell, clearBanner, markCurrentNav, renderError, signedOutView, type App } from './app.js';
import { h, replaceChildren } from './dom.js';
import { listingPage, marketplacePage } from './pages/marketplace.js';
import { nodePage, nodesPage } from './pages/nodes.js';
import { playgroundPage } from './pages/playground.js';
import { uploadPage } from './pages/upload.js';
import { versionPage } from './pages/version.js';
import { startRouter, type Route } from './router.js';
import type { Session, TenantInfo } from './types.js';

function meta(name: string): string | undefined {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? undefined;
}

/** A page that failed to load: a 404 says what was not found, a 401 that the session ended; the rest go to the banner. */
function failedPage(app: Pick<App, 'showError'>, error: unknown, signInUrl: string | undefined): Node {
  if (error instanceof ApiRequestError && error.status === 401) return signedOutView(signInUrl);
  if (error instanceof ApiRequestError && error.status === 404) {
    return h('section', null, h('h1', null, 'Not found'), h('p', null, error.message), error.hint ? h('p', { class: 'muted' }, 'Hint: ', error.hint) : null, h('p', null, h('a', { href: '#/nodes' }, 'Go to the nodes')));
  }
  app.showError(error);
  return h('section', null, h('h1', null, 'This page could not be loaded'), h('p', null, 'The error is shown above.'));
}

async function start(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) throw new Error('the page has no element with id "app"');
  const title = document.title || 'Custom nodes';
  const api = new ApiClient(meta('btree-plugins-api') ?? '');
  const signInUrl = meta('btree-plugins-sign-in');

  let session: Session;
  try {
    session = await api.get<Session>('/session');
  } catch (error) {
    const shell = buildShell(root, title, null);
    if (error instanceof ApiRequestError && error.status === 401) replaceChildren(shell.main, signedOutView(signInUrl));
    else {
      renderError(shell.banner, error);
      replaceChildren(shell.main, h('section', null, h('h1', null, 'The app could not start'), h('p', null, 'Reload the page to try again.')));
    }
    return;
  }
  api.csrfToken = session.csrfToken;

  const shell = buildShell(root, title, session);
  let tenant: Promise<TenantInfo> | undefined;
  /** What to say on the next page (`navigate(hash, message)`); any other message ends with its page. */
  let pending: string | undefined;
  const say = (message: string) => {
    // Emptied first so that the same message twice is read twice.
    shell.status.textContent = '';
    requestAnimationFrame(() => (shell.status.textContent = message));
  };
  const app: App = {
    api,
    session,
    can: (permission) => session.can[permission] === true,
    showError: (error) => renderError(shell.banner, error),
    clearError: () => clearBanner(shell.banner),
    announce: say,
    navigate: (hash, message) => {
      if (location.hash === hash) return reload(message);
      pending = message;
      location.hash = hash;
    },
    tenant: () => (tenant ??= api.get<{ tenant: TenantInfo }>('/tenant').then((r) => r.tenant)),
  };
  // A session that ends while the page is open: say so instead of failing page by page.
  api.onUnauthenticated = () => {
    replaceChildren(shell.nav);
    replaceChildren(shell.main, signedOutView(signInUrl));
  };

  const reload = (message?: string) => {
    pending = message;
    void router.render();
  };
  const routes: Route[] = [
    { pattern: '/nodes', page: () => nodesPage(app) },
    { pattern: '/nodes/:name', page: (p) => nodePage(app, p.name!) },
    { pattern: '/versions/:id', page: (p) => versionPage(app, p.id!, reload) },
    { pattern: '/upload', page: (_p, q) => uploadPage(app, q) },
    { pattern: '/playground', page: (_p, q) => playgroundPage(app, q) },
    { pattern: '/marketplace', page: (_p, q) => marketplacePage(app, q) },
    { pattern: '/marketplace/:id', page: (p) => listingPage(app, p.id!, reload) },
  ];
  const router = startRouter({
    routes,
    main: shell.main,
    home: '#/nodes',
    title,
    beforeRender: (hash) => {
      clearBanner(shell.banner);
      if (pending === undefined) shell.status.textContent = '';
      else say(pending);
      pending = undefined;
      markCurrentNav(shell.nav, hash);
    },
    onError: (error) => failedPage(app, error, signInUrl),
  });
  await router.render();
}

void start();
