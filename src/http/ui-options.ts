/**
 * The `ui` option of `customNodesApi`: its type, its defaults and its checks. Everything the UI
 * puts into the page (title, sign-in link) is checked here once, at `register`, so that a bad value
 * fails when the host starts rather than in a browser.
 *
 * @module
 */
import { printable } from '../registry/ids.js';
import { CsrfGuard, MIN_CSRF_SECRET_BYTES } from './csrf.js';
import { invalidOption } from './options-error.js';

/** Options of the web UI (`customNodesApi(app, { ui: { … } })`; `ui: true` takes every default). */
export interface UiOptions {
  /**
   * Key of the CSRF tokens, at least 32 bytes (a string counts its UTF-8 bytes). Default: random
   * per process — set it when several server processes serve one UI, so that a token one process
   * gave out is accepted by the others.
   */
  csrfSecret?: string | Uint8Array;
  /**
   * Where the UI sends a browser that is not signed in (the host's login page), shown as a
   * "Sign in" link: a path on this origin (`/login`) or an `http(s)://` URL.
   */
  signInUrl?: string;
  /** The page title (default `"Custom nodes"`), at most {@link MAX_UI_TITLE_LENGTH} characters. */
  title?: string;
}

/** Default of `ui.title`. */
export const DEFAULT_UI_TITLE = 'Custom nodes';
/** Longest `ui.title`. */
export const MAX_UI_TITLE_LENGTH = 120;
/** Longest `ui.signInUrl`. */
const MAX_SIGN_IN_URL_LENGTH = 2000;

/** The `ui` option, checked. */
export interface ResolvedUi {
  title: string;
  signInUrl: string | undefined;
  csrf: CsrfGuard;
}

/**
 * Checks the `ui` option: `undefined` and `false` turn the UI off (`null`), `true` takes the
 * defaults.
 *
 * @throws InvalidInputError naming the field and how to fix it.
 */
export function resolveUiOptions(value: boolean | UiOptions | undefined): ResolvedUi | null {
  if (value === undefined || value === false) return null;
  if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw invalidOption(`ui is ${printable(value)}`, 'pass `ui: true`, or `ui: { signInUrl?, title?, csrfSecret? }`, or leave it out for no UI');
  }
  const options: UiOptions = value === true ? {} : value;
  for (const key of Object.keys(options)) {
    if (!['csrfSecret', 'signInUrl', 'title'].includes(key)) throw invalidOption(`ui.${key} is not an option of the UI`, 'the UI options are csrfSecret, signInUrl and title');
  }
  return {
    title: checkTitle(options.title),
    signInUrl: checkSignInUrl(options.signInUrl),
    csrf: new CsrfGuard(checkSecret(options.csrfSecret)),
  };
}

function checkTitle(title: unknown): string {
  if (title === undefined) return DEFAULT_UI_TITLE;
  // eslint-disable-next-line no-control-regex
  if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_UI_TITLE_LENGTH || /[\u0000-\u001f\u007f]/.test(title)) {
    throw invalidOption(`ui.title ${printable(title)} is not a short title`, `give 1-${MAX_UI_TITLE_LENGTH} characters on one line, e.g. "Acme nodes"`);
  }
  return title;
}

function checkSignInUrl(url: unknown): string | undefined {
  if (url === undefined) return undefined;
  const hint = 'give a path on this origin such as "/login", or an absolute http:// or https:// URL';
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_SIGN_IN_URL_LENGTH || /[\s\u0000-\u001f\u007f\\]/.test(url)) {
    throw invalidOption(`ui.signInUrl ${printable(url)} is not a URL`, hint);
  }
  // A path, but not `//host` (another origin) and not `/\host` (browsers read it as `//host`).
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw invalidOption(`ui.signInUrl ${printable(url)} is neither a path starting with "/" nor an http(s) URL`, hint);
  }
  return url;
}

function checkSecret(secret: unknown): Uint8Array | undefined {
  if (secret === undefined) return undefined;
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret instanceof Uint8Array ? secret : undefined;
  if (bytes === undefined || bytes.byteLength < MIN_CSRF_SECRET_BYTES) {
    const what = bytes === undefined ? `is ${printable(secret)}, not a string or bytes` : `has ${bytes.byteLength} bytes`;
    throw invalidOption(`ui.csrfSecret ${what}; it needs at least ${MIN_CSRF_SECRET_BYTES}`, 'use a random secret of 32 bytes or more, e.g. `crypto.randomBytes(32)` or a 64-character hex string kept in your secret store');
  }
  return bytes;
}
