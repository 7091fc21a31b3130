/**
 * Serves the web UI under `<prefix>/ui`: the HTML shell (`/ui`, `/ui/`) and the app's files
 * (`/ui/assets/:file`). The shell holds nothing tenant-specific, so it needs no authentication; the
 * app reads everything else from the API with the browser's credentials.
 *
 * The files come from `loadUiAssets()` (src/ui/assets.ts), imported on the first `/ui` request:
 * a host without `ui` never loads the bundler or the bundle. Every answer under `/ui` — errors
 * included — carries a strict Content-Security-Policy (scripts and styles from this origin only,
 * no inline code, no framing) and the headers that go with it.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InternalError } from '../errors.js';
import { printable } from '../registry/ids.js';
import { ApiError } from './api-error.js';
// Types only: the loader itself is imported on the first /ui request.
import type { UiAsset } from '../ui/assets.js';
import type { ResolvedUi } from './ui-options.js';

/** The Content-Security-Policy of every `/ui` answer: nothing inline, nothing from elsewhere, no framing. */
export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The headers of every `/ui` answer. */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
});

/** `Cache-Control` of a file asked for with its current `?v=`: its URL changes with its content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Characters of the sha256 in an asset's `?v=`. */
const VERSION_CHARS = 16;

/** The file's `?v=` value: a prefix of its sha256. */
export function assetVersion(asset: UiAsset): string {
  return asset.sha256.slice(0, VERSION_CHARS);
}

/** Escapes text for an HTML text node or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the shell names: where the API is, the title, the sign-in page, the app's files. */
export interface ShellInput {
  /** The API's prefix (`""` when none). */
  prefix: string;
  title: string;
  signInUrl: string | undefined;
  /** The URL of the app's script, with its `?v=`. */
  script: string;
  /** The URL of its stylesheet, when it has one. */
  stylesheet: string | undefined;
}

/** The HTML shell: no inline script or style, every value escaped. */
export function renderShell(input: ShellInput): string {
  const lines = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="btree-plugins-api" content="${escapeHtml(input.prefix)}">`,
  ];
  if (input.signInUrl !== undefined) lines.push(`<meta name="btree-plugins-sign-in" content="${escapeHtml(input.signInUrl)}">`);
  lines.push(`<title>${escapeHtml(input.title)}</title>`);
  if (input.stylesheet !== undefined) lines.push(`<link rel="stylesheet" href="${escapeHtml(input.stylesheet)}">`);
  lines.push(`<script type="module" src="${escapeHtml(input.script)}"></script>`, '</head><body><div id="app"></div></body></html>', '');
  return lines.join('\n');
}

/** The loaded files and the shell that names them. */
interface LoadedUi {
  assets: ReadonlyMap<string, UiAsset>;
  shell: string;
}

/** The library's own loader, imported on first use (it bundles the app from source, or reads `dist/ui`). */
async function loadBundledAssets(): Promise<ReadonlyMap<string, UiAsset>> {
  return (await import('../ui/assets.js')).loadUiAssets();
}

/**
 * Mounts `/ui`, `/ui/`, `/ui/assets/:file` and a 404 for anything else under `/ui/`, in their own
 * context of `api` (whose prefix is the API's).
 */
export async function mountUi(api: FastifyInstance, options: { prefix: string; ui: ResolvedUi }): Promise<void> {
  let loading: Promise<LoadedUi> | undefined;
  const loaded = (): Promise<LoadedUi> => {
    loading ??= loadBundledAssets()
      .then((assets) => ({ assets, shell: shellOf(assets, options) }))
      .catch((e: unknown) => {
        // Not cached: the next request tries again (the failure is logged with its request).
        loading = undefined;
        throw e;
      });
    return loading;
  };

  await api.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      void reply.headers(UI_SECURITY_HEADERS);
      return payload;
    });
    const shell = async (_request: FastifyRequest, reply: FastifyReply) => {
      const { shell: html } = await loaded();
      // The shell names the files by content: a new deploy must be seen at once.
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    };
    scope.get('/ui', { schema: { hide: true } }, shell);
    // A host router with `ignoreTrailingSlash` already answers /ui/ with /ui (a second route would be refused).
    if (!scope.hasRoute({ method: 'GET', url: `${options.prefix}/ui/` })) scope.get('/ui/', { schema: { hide: true } }, shell);
    scope.get('/ui/assets/:file', { schema: { hide: true } }, async (request, reply) => {
      const { file } = request.params as { file: string };
      const { assets } = await loaded();
      const asset = assets.get(file);
      if (asset === undefined) {
        throw new ApiError(404, 'NOT_FOUND', 'no such file', `${printable(file)} is not a file of the UI`, { hint: 'reload <prefix>/ui: the page names the files of the running version' });
      }
      const { v } = request.query as { v?: unknown };
      return reply
        .type(asset.contentType)
        .header('cache-control', v === assetVersion(asset) ? IMMUTABLE : 'no-cache')
        .send(asset.body);
    });
    scope.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/ui/*',
      schema: { hide: true },
      handler: async (request) => {
        throw new ApiError(404, 'NOT_FOUND', 'no such page', `${request.method} ${printable(request.url.split('?')[0])} is not a page of the UI`, { hint: 'open <prefix>/ui; the app\'s pages are addresses after #, e.g. <prefix>/ui#/nodes' });
      },
    });
  });
}

function shellOf(assets: ReadonlyMap<string, UiAsset>, options: { prefix: string; ui: ResolvedUi }): string {
  const url = (file: string, asset: UiAsset) => `${options.prefix}/ui/assets/${file}?v=${encodeURIComponent(assetVersion(asset))}`;
  const script = assets.get('app.js');
  if (script === undefined) {
    throw new InternalError('the web UI cannot be served', `its files hold no app.js (they hold ${[...assets.keys()].map((k) => printable(k)).join(', ') || 'nothing'})`, {
      hint: 'rebuild the package (npm run build writes dist/ui), or run from source with esbuild installed',
    });
  }
  const css = assets.get('app.css');
  return renderShell({
    prefix: options.prefix,
    title: options.ui.title,
    signInUrl: options.ui.signInUrl,
    script: url('app.js', script),
    stylesheet: css === undefined ? undefined : url('app.css', css),
  });
}
