/**
 * Hash routes (`#/nodes`, `#/versions/Greeter%401.0.0`, `#/marketplace?q=slack`): a table of
 * patterns, each a page function that builds the page's content. Navigating replaces `<main>`'s
 * content, moves focus to the new page's heading (so keyboard and screen-reader users land on it)
 * and ignores answers of pages the user already left.
 *
 * @module
 */
import { h, replaceChildren } from './dom.js';

/** A page: builds its content from the route's parameters and query. */
export type Page = (params: Readonly<Record<string, string>>, query: URLSearchParams) => Promise<Node>;

/** One route: a pattern like `/versions/:id` and its page. */
export interface Route {
  pattern: string;
  page: Page;
}

/** A hash split into path segments (decoded) and query. */
export interface ParsedHash {
  segments: string[];
  query: URLSearchParams;
}

/** `#/versions/Greeter%401.0.0?x=1` → `{ segments: ['versions', 'Greeter@1.0.0'], query }`. */
export function parseHash(hash: string): ParsedHash {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?', 2) as [string?, string?];
  const segments = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { segments, query: new URLSearchParams(search) };
}

/** The route matching `segments`, with its parameters. */
export function match(routes: readonly Route[], segments: readonly string[]): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const parts = route.pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    if (parts.every((part, i) => (part.startsWith(':') ? ((params[part.slice(1)] = segments[i]!), true) : part === segments[i]))) return { route, params };
  }
  return undefined;
}

/** Options of {@link startRouter}. */
export interface RouterOptions {
  routes: readonly Route[];
  main: HTMLElement;
  /** Where an empty hash goes. */
  home: string;
  /** The page title's suffix (the shell's title). */
  title: string;
  /** Before each navigation (e.g. clear the banner, mark the nav). */
  beforeRender(hash: string): void;
  /** A page that threw. */
  onError(error: unknown): Node;
}

/** Renders the current hash's page, then every page the hash changes to. */
export function startRouter(options: RouterOptions): { render(): Promise<void> } {
  let generation = 0;
  let first = true;
  const render = async (): Promise<void> => {
    if (!location.hash || location.hash === '#' || location.hash === '#/') {
      location.replace(options.home);
      return;
    }
    const current = ++generation;
    const hash = location.hash;
    options.beforeRender(hash);
    const { segments, query } = parseHash(hash);
    const found = match(options.routes, segments);
    options.main.setAttribute('aria-busy', 'true');
    replaceChildren(options.main, h('p', { class: 'loading' }, 'Loading…'));
    let content: Node;
    try {
      content = found ? await found.route.page(found.params, query) : notFound();
    } catch (error) {
      content = options.onError(error);
    }
    if (current !== generation) return;
    replaceChildren(options.main, content);
    options.main.removeAttribute('aria-busy');
    const heading = options.main.querySelector<HTMLElement>('h1');
    document.title = heading?.textContent ? `${heading.textContent} · ${options.title}` : options.title;
    // The first page keeps the browser's focus where it starts; later ones move it to the heading.
    if (!first && heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
    first = false;
  };
  window.addEventListener('hashchange', () => void render());
  return { render };
}

function notFound(): Node {
  return h('section', null, h('h1', null, 'Page not found'), h('p', null, 'This address names no page of this app. ', h('a', { href: '#/nodes' }, 'Go to the nodes')));
}
