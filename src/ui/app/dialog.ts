/**
 * Confirmation dialogs: a modal `<dialog>` that says what will happen, optionally asks for a note
 * or a reason, and resolves with the answers or `null` (Cancel, Escape). The browser traps focus
 * inside a modal dialog and returns it to the button that opened it when it closes.
 *
 * @module
 */
import { h, uid, type Child } from './dom.js';

/** A text field of a confirmation dialog. */
export interface DialogField {
  /** The key of the answer. */
  name: string;
  label: string;
  required?: boolean;
  /** A textarea instead of one line. */
  multiline?: boolean;
  maxLength?: number;
}

/** What {@link confirmAction} shows. */
export interface ConfirmOptions {
  /** The question, e.g. "Approve Greeter 1.0.0?" (the dialog's accessible name). */
  title: string;
  /** What will happen, in a sentence or two. */
  body: Child;
  /** The confirming button's text, e.g. "Approve". */
  confirmLabel: string;
  /** Marks the confirming button as destructive. */
  danger?: boolean;
  fields?: readonly DialogField[];
}

/** Opens a modal confirmation; resolves with the fields' values on confirm, `null` on cancel. */
export function confirmAction(options: ConfirmOptions): Promise<Record<string, string> | null> {
  const titleId = uid('dialog-title');
  const bodyId = uid('dialog-body');
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  const fields = (options.fields ?? []).map((field) => {
    const id = uid(`dialog-${field.name}`);
    const attributes = { id, name: field.name, required: field.required === true, maxlength: field.maxLength };
    const input = field.multiline ? h('textarea', { ...attributes, rows: 3 }) : h('input', { ...attributes, type: 'text' });
    inputs.set(field.name, input);
    return h('div', { class: 'field' }, h('label', { for: id }, field.label, field.required ? null : ' (optional)'), input);
  });
  const cancel = h('button', { type: 'button', class: 'button secondary' }, 'Cancel');
  const confirm = h('button', { type: 'submit', class: options.danger ? 'button danger' : 'button primary' }, options.confirmLabel);
  const form = h(
    'form',
    { class: 'dialog-form' },
    h('h2', { id: titleId }, options.title),
    h('div', { id: bodyId, class: 'dialog-body' }, options.body),
    fields,
    h('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  const dialog = h('dialog', { class: 'confirm-dialog', 'aria-labelledby': titleId, 'aria-describedby': bodyId }, form);
  document.body.appendChild(dialog);

  return new Promise((resolve) => {
    let answer: Record<string, string> | null = null;
    for (const input of inputs.values()) input.addEventListener('input', () => input.setCustomValidity(''));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      // `required` accepts blanks; the API does not.
      for (const field of options.fields ?? []) {
        const input = inputs.get(field.name)!;
        if (field.required && input.value.trim() === '') input.setCustomValidity(`${field.label} cannot be empty.`);
      }
      if (!form.reportValidity()) return;
      answer = Object.fromEntries([...inputs].map(([name, input]) => [name, input.value.trim()]));
      dialog.close();
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    dialog.showModal();
    // The first field when there is one; otherwise Cancel, so that Enter never confirms by accident.
    ([...inputs.values()][0] ?? cancel).focus();
  });
}
