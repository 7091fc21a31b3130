/**
 * `#/upload`: paste or drop a node's `.ts` file, give it a name, a version and a description, and
 * upload it as a draft. When it does not compile, the problems appear under the line they point
 * at (`line:column`, message, hint) in a copy of the uploaded source; on success the page goes to
 * the new version.
 *
 * @module
 */
import type { App } from '../app.js';
import { ApiRequestError } from '../api.js';
import { codeView, diagnosticNote } from '../code-view.js';
import { h, route, uid } from '../dom.js';
import type { CustomNode, Diagnostic } from '../types.js';
import { field } from '../widgets.js';

/** The largest file the page reads (the API takes 512 KiB of source). */
const MAX_FILE_BYTES = 512 * 1024;

/** `#/upload` (`?name=` prefills the name). */
export async function uploadPage(app: App, query: URLSearchParams): Promise<Node> {
  if (!app.can('upload')) return h('section', null, h('h1', null, 'Upload'), h('p', null, 'Your roles do not allow uploading nodes. Ask an administrator of your platform for the role.'));

  const name = field('Name', h('input', { type: 'text', name: 'name', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 64, value: query.get('name') ?? '' }), 'PascalCase, as trees refer to it, e.g. SendSlackMessage.');
  const version = field('Version', h('input', { type: 'text', name: 'version', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 64 }), 'Semantic version, e.g. 1.0.0. Every upload needs a new one.');
  const description = field('Description', h('textarea', { name: 'description', rows: 2, maxlength: 2000 }), 'Optional: what the node does, for reviewers and the node list.');
  const source = field(
    'Source (TypeScript)',
    h('textarea', { name: 'sourceCode', required: true, rows: 18, spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', class: 'code-input', wrap: 'off' }),
    'Paste the node\'s source, or drop a .ts file here.',
  );
  const fileInputId = uid('source-file');
  const file = h('input', { type: 'file', id: fileInputId, accept: '.ts,.mts,text/typescript', class: 'file-input' });
  const problems = h('div', { class: 'upload-problems' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Upload');

  const useFile = async (picked: File | undefined) => {
    if (!picked) return;
    if (!/\.m?ts$/i.test(picked.name)) {
      source.setError(`${picked.name} is not a .ts file.`);
      return;
    }
    if (picked.size > MAX_FILE_BYTES) {
      source.setError(`${picked.name} is larger than ${MAX_FILE_BYTES / 1024} KiB, more than the API takes.`);
      return;
    }
    source.control.value = await picked.text();
    source.setError(null);
    if (!name.control.value) name.control.value = guessName(source.control.value) ?? '';
    app.announce(`Read ${picked.name} into the source field.`);
  };
  file.addEventListener('change', () => void useFile(file.files?.[0]));
  const drop = h('div', { class: 'drop-zone' }, source.wrapper, h('p', { class: 'file-pick' }, h('label', { for: fileInputId }, 'Or choose a .ts file: '), file));
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    void useFile(event.dataTransfer?.files[0]);
  });

  const form = h('form', { class: 'upload-form', 'aria-label': 'Upload a node' }, name.wrapper, version.wrapper, description.wrapper, drop, h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body: Record<string, string> = { name: name.control.value.trim(), version: version.control.value.trim(), sourceCode: source.control.value };
    const text = description.control.value.trim();
    if (text) body.description = text;
    app.clearError();
    problems.replaceChildren();
    submit.disabled = true;
    app.announce(`Uploading ${body.name} ${body.version}…`);
    try {
      const { customNode } = await app.api.post<{ customNode: CustomNode }>('/custom-nodes', body);
      app.navigate(route('versions', customNode.id), `Uploaded ${customNode.name} ${customNode.version} (${customNode.status}).`);
    } catch (error) {
      app.showError(error);
      if (error instanceof ApiRequestError && error.diagnostics.length) {
        problems.replaceChildren(problemsView(body.sourceCode!, error.diagnostics));
        app.announce(`The upload did not compile: ${plural(error.diagnostics.length, 'problem')}.`);
        problems.querySelector<HTMLElement>('h2')?.focus();
      } else {
        app.announce('The upload failed.');
      }
    } finally {
      submit.disabled = false;
    }
  });

  return h('section', { class: 'page-upload' }, h('h1', null, 'Upload a node'), form, problems);
}

/** The diagnostics under their lines in the uploaded source; those without a line listed above it. */
function problemsView(sourceCode: string, diagnostics: readonly Diagnostic[]): HTMLElement {
  const unplaced = diagnostics.filter((d) => d.line === undefined);
  return h(
    'section',
    { class: 'panel problems' },
    h('h2', { tabindex: -1 }, `${plural(diagnostics.length, 'problem')} in the uploaded source`),
    unplaced.length ? h('ul', { class: 'problem-list' }, unplaced.map((d) => h('li', null, diagnosticNote(d)))) : null,
    codeView(sourceCode, { label: 'Uploaded source with its problems', language: 'typescript', diagnostics }),
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The node's name as its source declares it (`export default class X`, `name: 'X'`), if it does. */
export function guessName(source: string): string | undefined {
  return /export\s+default\s+class\s+([A-Z][A-Za-z0-9]*)/.exec(source)?.[1] ?? /\bname\s*:\s*['"]([A-Z][A-Za-z0-9]*)['"]/.exec(source)?.[1];
}
