/**
 * `#/versions/:id`: one version — its source (highlighted, read-only, with line numbers), props
 * schema, ports, scan warnings, audit trail and the workflows that use it — and the life-cycle
 * actions the user's roles allow (Approve, Reject, Activate, Deprecate, Roll back), each confirmed
 * in a dialog that says what will happen. Activation is a compare-and-swap on the active version
 * the page showed, so two reviewers cannot silently overwrite each other's choice.
 *
 * @module
 */
import type { App } from '../app.js';
import { seg } from '../api.js';
import { codeView } from '../code-view.js';
import { confirmAction, type ConfirmOptions } from '../dialog.js';
import { h, route, time, uid, type Child } from '../dom.js';
import { languageOf } from '../highlight.js';
import type { CustomNodeDetails, JsonSchema, NodeListing } from '../types.js';
import { empty, facts, jsonBlock, statusBadge } from '../widgets.js';
import { findNode } from './nodes.js';

/** `#/versions/:id`. */
export async function versionPage(app: App, id: string, reload: (message?: string) => void): Promise<Node> {
  const { customNode: v } = await app.api.get<{ customNode: CustomNodeDetails }>(`/custom-nodes/${seg(id)}`);
  const node = await findNode(app, v.name);
  const actions = await actionButtons(app, v, node, reload);
  return h(
    'section',
    { class: 'page-version' },
    h('p', { class: 'breadcrumbs' }, h('a', { href: route('nodes') }, 'Nodes'), ' / ', h('a', { href: route('nodes', v.name) }, v.name), ' / '),
    h('div', { class: 'page-head' }, h('h1', null, `${v.name} ${v.version}`), h('p', { class: 'badges' }, statusBadge(v.status), v.active && v.status !== 'active' ? statusBadge('active') : null)),
    v.description ? h('p', { class: 'description' }, v.description) : h('p', { class: 'description muted' }, 'No description.'),
    actions.length ? h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' }, actions) : null,
    facts([
      ['Active version of the node', node?.active ?? 'none'],
      ['Category', v.category],
      ['Uploaded', [time(v.createdAt), v.createdBy ? ` by ${v.createdBy}` : null]],
      ['Reviewed', v.reviewedAt ? [time(v.reviewedAt), v.reviewedBy ? ` by ${v.reviewedBy}` : null] : null],
      ['Review note', v.reviewNote],
      ['Deprecated', v.deprecated ? [v.deprecated.message, ' (', time(v.deprecated.at), v.deprecated.by ? ` by ${v.deprecated.by}` : null, ')'] : null],
      ['sha256', h('code', { class: 'hash' }, v.sha256)],
    ]),
    v.warnings.length ? warningsSection(v) : null,
    sourceSection(v),
    propsSection(v.propsSchema),
    v.ports.length ? portsSection(v) : null,
    auditSection(v),
    usagesSection(v),
  );
}

/** The buttons of the actions this user may take on this version now. */
async function actionButtons(app: App, v: CustomNodeDetails, node: NodeListing | undefined, reload: (message?: string) => void): Promise<HTMLElement[]> {
  const label = `${v.name} ${v.version}`;
  const path = `/custom-nodes/${seg(v.id)}`;
  const buttons: HTMLElement[] = [];
  const add = (text: string, options: ConfirmOptions, run: (answers: Record<string, string>) => Promise<unknown>, done: string, kind = 'secondary') => {
    const button = h('button', { type: 'button', class: `button ${kind}` }, text);
    button.addEventListener('click', async () => {
      const answers = await confirmAction(options);
      if (answers === null) return;
      button.disabled = true;
      try {
        await run(answers);
        reload(done);
      } catch (error) {
        app.showError(error);
        button.disabled = false;
      }
    });
    buttons.push(button);
  };

  // Drafts and rejected versions never run, in the playground as in trees.
  if (app.can('playground') && (v.status === 'approved' || v.status === 'active' || v.status === 'deprecated')) {
    buttons.push(h('a', { class: 'button secondary', href: `${route('playground')}?node=${encodeURIComponent(v.name)}&version=${encodeURIComponent(v.version)}` }, 'Try in playground'));
  }
  if (app.can('review') && v.status === 'draft') {
    add(
      'Approve',
      {
        title: `Approve ${label}?`,
        body: `${label} becomes approved: anyone allowed to activate can then make it the version your tenant's trees run.`,
        confirmLabel: 'Approve',
        fields: [{ name: 'note', label: 'Note', multiline: true, maxLength: 2000 }],
      },
      (a) => app.api.post(`${path}/approve`, a.note ? { note: a.note } : {}),
      `${label} approved.`,
      'primary',
    );
  }
  if (app.can('activate') && !v.active && (v.status === 'approved' || (v.status === 'draft' && !(await requiresApproval(app))))) {
    // What the page showed as active is what the activation expects: if that changed meanwhile, the API refuses (409).
    const expectedActive = node ? node.active : null;
    add(
      'Activate',
      {
        title: `Activate ${label}?`,
        body: [
          expectedActive === null
            ? `No version of ${v.name} is active now: trees that use ${v.name} will start running ${v.version}.`
            : `Trees that use ${v.name} will run ${v.version} instead of ${expectedActive}, the active version now.`,
          ' If someone changes the active version before you confirm, nothing changes and you will be told.',
        ],
        confirmLabel: 'Activate',
      },
      () => app.api.post(`${path}/activate`, { expectedActive }),
      `${label} is now the active version.`,
      'primary',
    );
  }
  if (app.can('rollback') && v.active) {
    add(
      'Roll back',
      {
        title: `Roll back ${v.name}?`,
        body: `${label} stops being the active version, and the version that was active before it becomes active again. Trees that use ${v.name} switch to that version.`,
        confirmLabel: 'Roll back',
        danger: true,
      },
      () => app.api.post(`/custom-nodes/${seg(v.name)}/rollback`),
      `${v.name} rolled back from ${v.version}.`,
      'danger',
    );
  }
  if (app.can('deprecate') && v.status !== 'rejected' && !v.deprecated) {
    add(
      'Deprecate',
      {
        title: `Deprecate ${label}?`,
        body: `${label} keeps running where it is used, but every tree that uses it gets a warning with your message, and it can no longer be activated.`,
        confirmLabel: 'Deprecate',
        danger: true,
        fields: [{ name: 'message', label: 'Message shown to its users', required: true, multiline: true, maxLength: 2000 }],
      },
      (a) => app.api.post(`${path}/deprecate`, { message: a.message }),
      `${label} deprecated.`,
      'danger',
    );
  }
  if (app.can('review') && !v.active && (v.status === 'draft' || v.status === 'approved')) {
    add(
      'Reject',
      {
        title: `Reject ${label}?`,
        body: `${label} becomes rejected: it can never be activated or run. To change the node, upload a new version.`,
        confirmLabel: 'Reject',
        danger: true,
        fields: [{ name: 'reason', label: 'Reason', required: true, multiline: true, maxLength: 2000 }],
      },
      (a) => app.api.post(`${path}/reject`, { reason: a.reason }),
      `${label} rejected.`,
      'danger',
    );
  }
  return buttons;
}

async function requiresApproval(app: App): Promise<boolean> {
  try {
    return (await app.tenant()).requireApproval;
  } catch {
    return true;
  }
}

/** A panel named by its heading (a landmark screen readers list). */
function section(title: string, ...children: Child[]): HTMLElement {
  const id = uid('section');
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

function warningsSection(v: CustomNodeDetails): HTMLElement {
  return section(
    'Scan warnings',
    h(
      'ul',
      { class: 'warnings' },
      v.warnings.map((w) =>
        h('li', null, h('span', { class: `badge badge-severity-${/^[a-z]+$/.test(w.severity) ? w.severity : 'unknown'}` }, w.severity), ' ', h('code', null, w.rule), ' ', w.message, w.line !== undefined ? ` (${w.file ?? ''}:${w.line}:${w.column ?? 1})` : null),
      ),
    ),
  );
}

function sourceSection(v: CustomNodeDetails): HTMLElement {
  const files = Object.keys(v.source.files).sort((a, b) => (a === v.source.entry ? -1 : b === v.source.entry ? 1 : a.localeCompare(b)));
  return section(
    'Source',
    files.map((file) =>
      h('div', { class: 'source-file' }, h('h3', { class: 'file-name' }, file, file === v.source.entry && files.length > 1 ? ' (entry)' : null), codeView(v.source.files[file]!, { label: `Source of ${file}`, language: languageOf(file) })),
    ),
  );
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((e) => JSON.stringify(e)).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type ?? 'any';
  return type === 'array' && schema.items ? `array of ${typeOf(schema.items)}` : type;
}

function propsSection(schema: JsonSchema | null): HTMLElement {
  if (schema === null) return section('Props', empty('This node declares no props schema.'));
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  return section(
    'Props',
    properties.length === 0
      ? empty('No props.')
      : h(
          'table',
          { class: 'table stack' },
          h('caption', { class: 'visually-hidden' }, 'Props of this version'),
          h('thead', null, h('tr', null, ['Name', 'Type', 'Required', 'Default', 'Description'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            null,
            properties.map(([name, prop]) =>
              h(
                'tr',
                null,
                h('th', { scope: 'row', 'data-label': 'Name' }, h('code', null, name)),
                h('td', { 'data-label': 'Type' }, typeOf(prop)),
                h('td', { 'data-label': 'Required' }, required.has(name) ? 'yes' : 'no'),
                h('td', { 'data-label': 'Default' }, prop.default === undefined ? '—' : h('code', null, JSON.stringify(prop.default))),
                h('td', { 'data-label': 'Description' }, prop.description ?? ''),
              ),
            ),
          ),
        ),
    h('details', { class: 'raw-schema' }, h('summary', null, 'JSON Schema'), jsonBlock(schema, 'Props JSON Schema')),
  );
}

function portsSection(v: CustomNodeDetails): HTMLElement {
  return section(
    'Ports',
    h(
      'table',
      { class: 'table stack' },
      h('thead', null, h('tr', null, ['Name', 'Direction', 'Required', 'Description'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        null,
        v.ports.map((p) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row', 'data-label': 'Name' }, h('code', null, p.name)),
            h('td', { 'data-label': 'Direction' }, p.type),
            h('td', { 'data-label': 'Required' }, p.required ? 'yes' : 'no'),
            h('td', { 'data-label': 'Description' }, p.description ?? ''),
          ),
        ),
      ),
    ),
  );
}

function auditSection(v: CustomNodeDetails): HTMLElement {
  return section(
    'Audit trail',
    v.audit.length === 0
      ? empty('No events.')
      : h(
          'table',
          { class: 'table stack audit' },
          h('caption', { class: 'visually-hidden' }, 'Changes to this version, oldest first'),
          h('thead', null, h('tr', null, ['When', 'Action', 'By', 'Change', 'Note'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            null,
            v.audit.map((e) =>
              h(
                'tr',
                null,
                h('td', { 'data-label': 'When' }, time(e.at)),
                h('td', { 'data-label': 'Action' }, e.action),
                h('td', { 'data-label': 'By' }, e.by),
                h('td', { 'data-label': 'Change' }, `${e.from ?? '—'} → ${e.to ?? '—'}`),
                h('td', { 'data-label': 'Note' }, e.note ?? ''),
              ),
            ),
          ),
        ),
  );
}

function usagesSection(v: CustomNodeDetails): HTMLElement {
  const byWorkflow = new Map<string, string[]>();
  for (const u of v.usages) byWorkflow.set(u.workflowId, [...(byWorkflow.get(u.workflowId) ?? []), u.version]);
  return section(
    'Used by',
    v.usageCount === 0
      ? empty('No workflow is recorded as using this version.')
      : [
          h('p', null, v.usageCount === 1 ? '1 workflow uses this version' : `${v.usageCount} workflows use this version`, v.usageCount > v.usages.length ? ` (the first ${v.usages.length} are shown).` : '.'),
          h(
            'table',
            { class: 'table stack' },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Workflow'), h('th', { scope: 'col' }, 'Version'))),
            h('tbody', null, [...byWorkflow].map(([workflow, versions]) => h('tr', null, h('td', { 'data-label': 'Workflow' }, h('code', null, workflow)), h('td', { 'data-label': 'Version' }, versions.join(', '))))),
          ),
        ],
  );
}
