/**
 * The one place the app builds elements. Every string child becomes a text node and every
 * attribute goes through `setAttribute`, so a tenant's node name, description, source, diagnostic
 * or review text can never become markup: there is no path from data to `innerHTML` here, and the
 * rest of the app does not touch it (test/ui/app-source.test.ts checks).
 *
 * The page's Content-Security-Policy allows no inline script or style, so `h` also refuses what
 * would only work without it (`style` and `on…` attributes) instead of building elements that
 * silently misbehave, and refuses `javascript:` URLs as a second line behind the CSP.
 *
 * @module
 */

/** What `h` takes as a child: text (a text node), a node, or nothing (skipped); arrays are flattened. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Event listeners by event name. */
export type Listeners = { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };

/**
 * Attributes by name: a string or number is set as is, `true` sets an empty (boolean) attribute,
 * `false`, `null` and `undefined` leave it out. `on` holds event listeners.
 */
export type Attributes = { [name: string]: string | number | boolean | null | undefined | Listeners; on?: Listeners };

const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href']);

/** True for URLs the app may put in `href`/`src`: relative ones, fragments, http(s) and mailto. */
export function isSafeUrl(url: string): boolean {
  // Browsers ignore control characters and spaces around a scheme: strip them before looking.
  const trimmed = url.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed);
  return scheme === null || ['http', 'https', 'mailto'].includes(scheme[1]!.toLowerCase());
}

/**
 * Builds an element: `h('a', { href: '#/nodes' }, 'Nodes')`.
 *
 * @example
 * ```ts
 * // A node's description goes in as text, whatever it holds:
 * h('p', { class: 'description' }, node.description ?? 'No description');
 * ```
 * @throws Error for a `style` or `on…` attribute (the CSP blocks them) or an unsafe URL.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Attributes | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name === 'on') {
      for (const [event, listener] of Object.entries(value as Listeners)) element.addEventListener(event, listener as EventListener);
      continue;
    }
    if (value === false || value === null || value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'style' || lower.startsWith('on')) throw new Error(`h(${tag}): the attribute ${name} would need an inline style or script, which the page's CSP blocks; use a class and a listener in \`on\``);
    const text = value === true ? '' : String(value);
    if (URL_ATTRIBUTES.has(lower) && !isSafeUrl(text)) throw new Error(`h(${tag}): refusing the URL ${JSON.stringify(text)} in ${name}`);
    element.setAttribute(name, text);
  }
  append(element, children);
  return element;
}

/** Appends children as `h` does: strings as text nodes. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else if (typeof child === 'string' || typeof child === 'number') parent.appendChild(document.createTextNode(String(child)));
    else parent.appendChild(child as Node);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;

/** A document-unique id for label/description wiring: `uid('name')` → `name-7`. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A hash link (`#/versions/Greeter%401.0.0`) built from path segments, each encoded. */
export function route(...segments: string[]): string {
  return `#/${segments.map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/')}`;
}

/** An ISO time as the reader's local date and time, in a `<time>` element. */
export function time(iso: string | undefined): HTMLElement {
  if (iso === undefined) return h('span', null, '—');
  const date = new Date(iso);
  const shown = Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return h('time', { datetime: iso }, shown);
}
