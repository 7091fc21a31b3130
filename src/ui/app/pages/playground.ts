/**
 * `#/playground`: run a JavaScript or Python script against a sample blackboard (the interpreter
 * nodes' sandbox), or one of the tenant's custom nodes with props; see the result, the logs and
 * what it cost. Nothing here changes stored state: the server runs each request in a fresh sandbox.
 *
 * @module
 */
import type { App } from '../app.js';
import { h, uid, type Child } from '../dom.js';
import type { NodeListing, NodeRunOutcome, ScriptOutcome } from '../types.js';
import { facts, field, jsonBlock, readJsonObject, statusBadge } from '../widgets.js';

const SAMPLE_SCRIPTS = {
  javascript: 'console.log("greeting", name);\nresult = { greeting: "Hello, " + name };',
  python: 'print("greeting", name)\nresult = {"greeting": "Hello, " + name}',
} as const;
const SAMPLE_BLACKBOARD = '{\n  "name": "Ada"\n}';

/** `#/playground` (`?node=&version=` prefill the node form). */
export async function playgroundPage(app: App, query: URLSearchParams): Promise<Node> {
  if (!app.can('playground')) return h('section', null, h('h1', null, 'Playground'), h('p', null, 'Your roles do not allow using the playground.'));
  const names = await nodeNames(app);
  return h(
    'section',
    { class: 'page-playground' },
    h('h1', null, 'Playground'),
    h('p', { class: 'lead' }, 'Try code in the sandbox your trees use. Nothing you run here is stored.'),
    h('div', { class: 'playground-grid' }, scriptPanel(app), nodePanel(app, names, query)),
  );
}

/** The tenant's node names, for the node field's suggestions (empty when the list cannot be read). */
async function nodeNames(app: App): Promise<string[]> {
  try {
    const { nodes } = await app.api.get<{ nodes: NodeListing[] }>('/custom-nodes', { limit: 1000 });
    return nodes.filter((n) => n.active !== null || n.versions.length > 0).map((n) => n.name);
  } catch {
    return [];
  }
}

function scriptPanel(app: App): HTMLElement {
  const enabled = (['javascript', 'python'] as const).filter((l) => app.session.interpreters[l]);
  if (enabled.length === 0) {
    return h('section', { class: 'panel' }, h('h2', null, 'Script'), h('p', null, 'No script interpreter is enabled on this server.'));
  }
  const language = field(
    'Language',
    h(
      'select',
      { name: 'language' },
      (['javascript', 'python'] as const).map((l) => h('option', { value: l, disabled: !app.session.interpreters[l] }, l === 'javascript' ? 'JavaScript' : 'Python', app.session.interpreters[l] ? null : ' (not enabled)')),
    ),
  );
  language.control.value = enabled[0]!;
  const script = field('Script', h('textarea', { name: 'script', rows: 8, spellcheck: 'false', class: 'code-input', wrap: 'off', required: true }), 'The blackboard\'s keys are variables; set `result` to return a value.');
  script.control.value = SAMPLE_SCRIPTS[enabled[0]!];
  language.control.addEventListener('change', () => {
    // Swap the sample only while the user has not written their own.
    if (Object.values(SAMPLE_SCRIPTS).includes(script.control.value as never)) script.control.value = SAMPLE_SCRIPTS[language.control.value as keyof typeof SAMPLE_SCRIPTS];
  });
  const blackboard = field('Blackboard (JSON)', h('textarea', { name: 'blackboard', rows: 4, spellcheck: 'false', class: 'code-input' }), 'A JSON object: the sample inputs.');
  blackboard.control.value = SAMPLE_BLACKBOARD;
  const output = h('div', { class: 'run-result', 'aria-live': 'polite' });
  const run = h('button', { type: 'submit', class: 'button primary' }, 'Run script');
  const form = h('form', { 'aria-label': 'Run a script' }, language.wrapper, script.wrapper, blackboard.wrapper, h('div', { class: 'form-actions' }, run));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = readJsonObject(blackboard, 'The blackboard');
    if (values === undefined) {
      blackboard.control.focus();
      return;
    }
    app.clearError();
    run.disabled = true;
    output.replaceChildren(h('p', { class: 'loading' }, 'Running…'));
    try {
      const outcome = await app.api.post<ScriptOutcome>('/playground/scripts', { language: language.control.value, script: script.control.value, blackboard: values });
      output.replaceChildren(scriptResult(outcome));
      app.announce(outcome.ok ? 'The script ran.' : `The script failed: ${outcome.error.message}`);
    } catch (error) {
      output.replaceChildren();
      app.showError(error);
    } finally {
      run.disabled = false;
    }
  });
  return h('section', { class: 'panel' }, h('h2', null, 'Script'), form, output);
}

function scriptResult(outcome: ScriptOutcome): HTMLElement {
  return h(
    'div',
    { class: 'result' },
    h('h3', null, 'Result'),
    outcome.ok
      ? h('p', null, statusBadge('succeeded'), ' The script returned:')
      : h('p', { class: 'error-text' }, statusBadge('failed'), ` ${outcome.error.kind} error`, outcome.error.line !== undefined ? ` at line ${outcome.error.line}` : '', ': ', outcome.error.message),
    outcome.ok ? jsonBlock(outcome.value, 'Value') : null,
    logs('Output', outcome.output.map((line) => ({ level: 'log', message: line })), outcome.truncatedOutput === true),
    h('h4', null, 'Cost'),
    facts([['Duration', `${formatMs(outcome.durationMs)}`]]),
  );
}

function nodePanel(app: App, names: readonly string[], query: URLSearchParams): HTMLElement {
  const listId = uid('node-names');
  const name = field('Node', h('input', { type: 'text', name: 'node', required: true, list: listId, autocomplete: 'off', spellcheck: 'false', value: query.get('node') ?? '' }), 'One of your tenant\'s nodes.');
  const version = field('Version', h('input', { type: 'text', name: 'version', autocomplete: 'off', spellcheck: 'false', value: query.get('version') ?? '' }), 'Leave empty to run the active version.');
  const props = field('Props (JSON)', h('textarea', { name: 'props', rows: 4, spellcheck: 'false', class: 'code-input' }), 'Checked against the version\'s props schema.');
  props.control.value = '{}';
  const blackboard = field('Blackboard (JSON)', h('textarea', { name: 'nodeBlackboard', rows: 4, spellcheck: 'false', class: 'code-input' }), 'What the node reads from the blackboard.');
  blackboard.control.value = '{}';
  const output = h('div', { class: 'run-result', 'aria-live': 'polite' });
  const run = h('button', { type: 'submit', class: 'button primary' }, 'Run node');
  const form = h(
    'form',
    { 'aria-label': 'Run a custom node' },
    name.wrapper,
    h('datalist', { id: listId }, names.map((n) => h('option', { value: n }))),
    version.wrapper,
    props.wrapper,
    blackboard.wrapper,
    h('div', { class: 'form-actions' }, run),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const propValues = readJsonObject(props, 'The props');
    const values = readJsonObject(blackboard, 'The blackboard');
    if (propValues === undefined || values === undefined) {
      (propValues === undefined ? props : blackboard).control.focus();
      return;
    }
    const body: Record<string, unknown> = { name: name.control.value.trim(), props: propValues, blackboard: values };
    if (version.control.value.trim()) body.version = version.control.value.trim();
    app.clearError();
    run.disabled = true;
    output.replaceChildren(h('p', { class: 'loading' }, 'Running…'));
    try {
      const outcome = await app.api.post<NodeRunOutcome>('/playground/nodes', body);
      output.replaceChildren(nodeResult(outcome));
      app.announce(`${outcome.name} ${outcome.version} finished with ${outcome.status}.`);
    } catch (error) {
      output.replaceChildren();
      app.showError(error);
    } finally {
      run.disabled = false;
    }
  });
  return h('section', { class: 'panel' }, h('h2', null, 'Custom node'), form, output);
}

function nodeResult(outcome: NodeRunOutcome): HTMLElement {
  return h(
    'div',
    { class: 'result' },
    h('h3', null, 'Result'),
    h('p', null, `${outcome.name} ${outcome.version}: `, h('span', { class: `badge badge-tick-${outcome.status.toLowerCase()}` }, outcome.status)),
    outcome.error ? h('p', { class: 'error-text' }, outcome.error, outcome.limit ? ` (limit: ${outcome.limit})` : null) : null,
    h('h4', null, 'Blackboard writes'),
    Object.keys(outcome.writes).length ? jsonBlock(outcome.writes, 'Blackboard writes') : h('p', { class: 'muted' }, 'None.'),
    outcome.deletes.length ? [h('h4', null, 'Deleted keys'), h('ul', null, outcome.deletes.map((k) => h('li', null, h('code', null, k))))] : null,
    logs('Logs', outcome.logs, false),
    h('h4', null, 'Cost'),
    facts([
      ['CPU', formatMs(outcome.usage.cpuMs)],
      ['Wall clock', formatMs(outcome.usage.wallMs)],
      ['Heap', outcome.usage.heapBytes === undefined ? null : formatBytes(outcome.usage.heapBytes)],
    ]),
  );
}

function logs(title: string, lines: ReadonlyArray<{ level: string; message: string }>, truncated: boolean): Child {
  return [
    h('h4', null, title),
    lines.length === 0
      ? h('p', { class: 'muted' }, 'Nothing was logged.')
      : h('ol', { class: 'log-lines', 'aria-label': title }, lines.map((l) => h('li', { class: `log-line log-${/^[a-z]+$/.test(l.level) ? l.level : 'log'}` }, l.level === 'log' ? null : h('span', { class: 'log-level' }, l.level), l.message))),
    truncated ? h('p', { class: 'muted' }, 'The output was cut: the script printed more than the sandbox keeps.') : null,
  ];
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
