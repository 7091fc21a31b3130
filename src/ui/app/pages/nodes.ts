/**
 * `#/nodes`: the tenant's nodes with their active version and every version's status badge; and
 * `#/nodes/:name`: one node's versions. The API lists only the caller's tenant (it takes the tenant
 * from the session, never from the page).
 *
 * @module
 */
import type { App } from '../app.js';
import { ApiRequestError } from '../api.js';
import { h, route } from '../dom.js';
import type { NodeListing } from '../types.js';
import { empty, loadMore, statusBadge } from '../widgets.js';

type NodePage = { nodes: NodeListing[]; nextCursor: string | null };

/** How many nodes one page of the list shows. */
const PAGE_SIZE = 50;

/** `#/nodes`. */
export async function nodesPage(app: App): Promise<Node> {
  const first = await app.api.get<NodePage>('/custom-nodes', { limit: PAGE_SIZE });
  const tbody = h('tbody', null, first.nodes.map(nodeRow));
  const upload = app.can('upload') ? h('a', { class: 'button primary', href: route('upload') }, 'Upload a node') : null;
  return h(
    'section',
    { class: 'page-nodes' },
    h('div', { class: 'page-head' }, h('h1', null, 'Nodes'), upload),
    first.nodes.length === 0
      ? empty(['No nodes yet. ', app.can('upload') ? h('a', { href: route('upload') }, 'Upload the first one') : 'Nodes your team uploads appear here', '.'])
      : h(
          'table',
          { class: 'table stack' },
          h('caption', { class: 'visually-hidden' }, 'Your tenant\'s nodes'),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Active version'), h('th', { scope: 'col' }, 'Versions'))),
          tbody,
        ),
    loadMore(
      'Load more nodes',
      first.nextCursor,
      async (cursor) => {
        const page = await app.api.get<NodePage>('/custom-nodes', { limit: PAGE_SIZE, cursor });
        return { items: page.nodes, nextCursor: page.nextCursor };
      },
      (nodes) => tbody.append(...nodes.map(nodeRow)),
      (error) => app.showError(error),
    ),
  );
}

function nodeRow(node: NodeListing): HTMLElement {
  return h(
    'tr',
    { 'data-node': node.name },
    h('th', { scope: 'row', 'data-label': 'Name' }, h('a', { href: route('nodes', node.name) }, node.name)),
    h('td', { 'data-label': 'Active version' }, node.active ?? h('span', { class: 'muted' }, 'none')),
    h('td', { 'data-label': 'Versions' }, h('ul', { class: 'version-badges' }, node.versions.map((v) => h('li', null, h('a', { href: route('versions', v.id), class: 'version-link' }, v.version, ' ', statusBadge(v.status)))))),
  );
}

/** The listing of one node, or `undefined` when the tenant has none of that name (`GET /custom-nodes?name=`: one index read). */
export async function findNode(app: App, name: string): Promise<NodeListing | undefined> {
  const page = await app.api.get<NodePage>('/custom-nodes', { name });
  return page.nodes.find((n) => n.name === name);
}

/** `#/nodes/:name`. */
export async function nodePage(app: App, name: string): Promise<Node> {
  const node = await findNode(app, name);
  if (!node) {
    throw new ApiRequestError(404, { code: 'NOT_FOUND', message: `Your tenant has no node named ${name}.`, hint: 'check the name, or upload it' });
  }
  const upload = app.can('upload') ? h('a', { class: 'button secondary', href: `${route('upload')}?name=${encodeURIComponent(node.name)}` }, 'Upload a new version') : null;
  return h(
    'section',
    { class: 'page-node' },
    h('p', { class: 'breadcrumbs' }, h('a', { href: route('nodes') }, 'Nodes'), ' / '),
    h('div', { class: 'page-head' }, h('h1', null, node.name), upload),
    h('p', null, 'Active version: ', node.active ? h('strong', null, node.active) : h('span', { class: 'muted' }, 'none'), ' · latest: ', node.latest),
    h(
      'table',
      { class: 'table stack' },
      h('caption', { class: 'visually-hidden' }, `Versions of ${node.name}, newest first`),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Status'))),
      h(
        'tbody',
        null,
        node.versions.map((v) =>
          h('tr', null, h('th', { scope: 'row', 'data-label': 'Version' }, h('a', { href: route('versions', v.id) }, v.version)), h('td', { 'data-label': 'Status' }, statusBadge(v.status))),
        ),
      ),
    ),
  );
}
