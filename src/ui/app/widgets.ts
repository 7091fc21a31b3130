/**
 * Small pieces several pages use: status badges, labelled form fields with their own error text,
 * JSON fields, key–value lists and a "Load more" pager.
 *
 * @module
 */
import { h, uid, type Child } from './dom.js';
import type { VersionStatus } from './types.js';

/** A version's status as a badge (colour by class; the word is the content, so colour is never the only cue). */
export function statusBadge(status: VersionStatus | string): HTMLElement {
  return h('span', { class: `badge badge-${/^[a-z_]+$/.test(status) ? status : 'unknown'}` }, status.replace(/_/g, ' '));
}

/** A labelled field: `<label>`, the control, an optional help text and an error line, wired with ids. */
export interface Field<E extends HTMLElement> {
  wrapper: HTMLElement;
  control: E;
  /** Shows `message` under the field (and marks the control invalid); `null` clears it. */
  setError(message: string | null): void;
}

/** Wraps a control with its label, help and error line. */
export function field<E extends HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(label: Child, control: E, help?: Child): Field<E> {
  const id = control.id || uid('field');
  control.id = id;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const describedBy = [help ? helpId : null, errorId].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  const wrapper = h('div', { class: 'field' }, h('label', { for: id }, label), help ? h('p', { class: 'field-help', id: helpId }, help) : null, control, error);
  return {
    wrapper,
    control,
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = message === null;
      if (message === null) control.removeAttribute('aria-invalid');
      else control.setAttribute('aria-invalid', 'true');
    },
  };
}

/**
 * Reads a JSON object from a field; shows the problem under it and returns `undefined` when the
 * text is not a JSON object.
 */
export function readJsonObject(f: Field<HTMLTextAreaElement>, what: string): Record<string, unknown> | undefined {
  const text = f.control.value.trim();
  if (text === '') {
    f.setError(null);
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    f.setError(`${what} is not valid JSON: ${(e as Error).message}`);
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    f.setError(`${what} must be a JSON object, like {"name": "Ada"}.`);
    return undefined;
  }
  f.setError(null);
  return value as Record<string, unknown>;
}

/** A definition list of label → value rows; rows whose value is `null`/`undefined` are left out. */
export function facts(rows: ReadonlyArray<readonly [string, Child]>): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    rows.filter(([, value]) => value !== null && value !== undefined && value !== '').map(([label, value]) => h('div', { class: 'fact' }, h('dt', null, label), h('dd', null, value))),
  );
}

/** Pretty JSON in a `<pre>`, as text. */
export function jsonBlock(value: unknown, label: string): HTMLElement {
  return h('pre', { class: 'json', tabindex: 0, role: 'region', 'aria-label': label }, JSON.stringify(value, null, 2) ?? 'undefined');
}

/**
 * A "Load more" button under a list: fetches the next page with the cursor it was given, appends
 * what `render` makes of it, and disappears on the last page.
 */
export function loadMore<T>(label: string, cursor: string | null, fetchPage: (cursor: string) => Promise<{ items: T[]; nextCursor: string | null }>, appendItems: (items: T[]) => void, onError: (error: unknown) => void): HTMLElement {
  const holder = h('div', { class: 'load-more' });
  let next = cursor;
  const button = h('button', { type: 'button', class: 'button secondary' }, label);
  button.addEventListener('click', async () => {
    if (next === null) return;
    button.disabled = true;
    try {
      const page = await fetchPage(next);
      appendItems(page.items);
      next = page.nextCursor;
      if (next === null) holder.replaceChildren();
    } catch (error) {
      onError(error);
    } finally {
      button.disabled = false;
    }
  });
  if (next !== null) holder.append(button);
  return holder;
}

/** A "Something is loading or empty" line. */
export function empty(text: Child): HTMLElement {
  return h('p', { class: 'empty' }, text);
}
