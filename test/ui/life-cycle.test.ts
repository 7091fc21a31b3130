/**
 * The whole path in a real browser: an author uploads a node that does not compile and sees the
 * problem under its line, fixes it and uploads again; an approver approves and activates it; the
 * author runs it from the playground and sees its writes. Then activation's compare-and-swap on
 * the active version the page showed, and Roll back. Screenshots of the pages at 1280 and 400 px.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pageErrors, screenshots, SCREENSHOT_DIR, signedInPage } from './browser.js';
import { BROKEN_LINE, brokenGreeter, greeterSource } from './nodes.js';
import { bearer, startUiServer, type UiServer } from './ui-server.js';

const ANA = { tenantId: 'acme', userId: 'ana' };
const RITA = { tenantId: 'acme', userId: 'rita', roles: ['approver'] };

let browser: Browser;
let server: UiServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startUiServer()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  console.log(`UI screenshots: ${SCREENSHOT_DIR}`);
});

/** A link of the header's navigation. */
function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

async function confirmDialog(page: Page, title: string, button: string, fill: Record<string, string> = {}): Promise<void> {
  const dialog = page.getByRole('dialog', { name: title });
  await expect.poll(() => dialog.isVisible()).toBe(true);
  for (const [label, value] of Object.entries(fill)) await dialog.getByLabel(label).fill(value);
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await expect.poll(() => dialog.count()).toBe(0);
}

describe('the web UI in Chromium', () => {
  it('upload → compile error at its line → fix → approve → activate → run from the playground', async () => {
    const author = await signedInPage(browser, server.origin, ANA);
    const { page } = author;
    await page.goto(server.uiUrl);
    await expect.poll(() => page.url()).toMatch(/#\/nodes$/);
    await page.getByRole('heading', { name: 'Nodes', level: 1 }).waitFor();
    expect(await page.getByText('Signed in as').textContent()).toBe('Signed in as ');
    expect(await page.locator('.who-user').textContent()).toBe('ana');
    expect(await page.locator('.who-tenant').textContent()).toBe('acme');

    // Upload a node with a syntax error on line 9.
    await nav(page, 'Upload').click();
    await page.getByRole('heading', { name: 'Upload a node' }).waitFor();
    await page.getByLabel('Name').fill('Greeter');
    await page.getByLabel('Version').fill('1.0.0');
    await page.getByLabel('Description').fill('Greets someone on the blackboard');
    await page.getByLabel('Source (TypeScript)').fill(brokenGreeter());
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    // The API's message and hint in the banner; the problem under line 9 with line:column, message and hint.
    const banner = page.getByRole('alert');
    await expect.poll(() => banner.textContent()).toMatch(/compile failed/);
    expect(await banner.textContent()).toMatch(/Hint: /);
    const problems = page.getByRole('region', { name: 'Uploaded source with its problems' });
    await problems.waitFor();
    const line = problems.locator(`tr.code-line[data-line="${BROKEN_LINE}"]`);
    expect(await line.getAttribute('class')).toContain('has-diagnostic');
    expect(await line.locator('.line-source').textContent()).toBe('    const greeting = ;');
    const note = problems.locator(`tr.code-diagnostic[data-line="${BROKEN_LINE}"] .diagnostic`);
    expect(await note.count()).toBe(1);
    expect(await note.locator('.diagnostic-position').textContent()).toMatch(new RegExp(`^${BROKEN_LINE}:\\d+$`));
    expect(await note.locator('.diagnostic-message').textContent()).toMatch(/Unexpected/);
    expect(await note.locator('.diagnostic-hint').textContent()).toMatch(/^Hint: ./);
    // The row after the diagnostic is line 10: the note sits under its line.
    expect(await problems.locator(`tr.code-diagnostic[data-line="${BROKEN_LINE}"] + tr`).getAttribute('data-line')).toBe(String(BROKEN_LINE + 1));
    // The marked column is in the line (the caret under the error).
    expect(await line.locator('mark.diagnostic-at').count()).toBe(1);
    await screenshots(page, 'upload-diagnostics');

    // Fix and upload again: the page goes to the new draft.
    await page.getByLabel('Source (TypeScript)').fill(greeterSource());
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect.poll(() => page.url()).toMatch(/#\/versions\/Greeter%401\.0\.0$/);
    await page.getByRole('heading', { name: 'Greeter 1.0.0', level: 1 }).waitFor();
    expect(await page.getByRole('status').textContent()).toMatch(/Uploaded Greeter 1\.0\.0/);
    expect(await page.locator('.page-head .badge').first().textContent()).toBe('draft');
    // The author has no approver role: no Approve, no Reject; Activate needs an approved version.
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Activate' }).count()).toBe(0);

    // The approver approves, then activates.
    const approver = await signedInPage(browser, server.origin, RITA);
    const review = approver.page;
    await review.goto(`${server.uiUrl}#/versions/Greeter%401.0.0`);
    await review.getByRole('heading', { name: 'Greeter 1.0.0', level: 1 }).waitFor();
    // The source, highlighted, with line numbers.
    const source = review.getByRole('region', { name: 'Source of index.ts' });
    expect(await source.locator('tr.code-line').count()).toBe(greeterSource().trimEnd().split('\n').length);
    expect(await source.locator('tr.code-line[data-line="3"] .line-number').textContent()).toBe('3');
    expect(await source.locator('.tok-keyword', { hasText: 'export' }).count()).toBeGreaterThan(0);
    expect(await source.locator('.tok-string', { hasText: "'Greeter'" }).count()).toBe(1);
    // The props schema read at upload.
    const props = review.getByRole('region', { name: 'Props' }).getByRole('row', { name: /who/ });
    expect(await props.textContent()).toBe('whostringyes—who to greet');

    await review.getByRole('button', { name: 'Approve' }).click();
    const approveDialog = review.getByRole('dialog', { name: 'Approve Greeter 1.0.0?' });
    expect(await approveDialog.textContent()).toMatch(/becomes approved/);
    await confirmDialog(review, 'Approve Greeter 1.0.0?', 'Approve', { 'Note (optional)': 'looks good' });
    await expect.poll(() => review.getByRole('status').textContent()).toBe('Greeter 1.0.0 approved.');
    await review.getByRole('heading', { name: 'Greeter 1.0.0', level: 1 }).waitFor();
    await expect.poll(() => review.locator('.page-head .badge').first().textContent()).toBe('approved');

    await review.getByRole('button', { name: 'Activate' }).click();
    const activateDialog = review.getByRole('dialog', { name: 'Activate Greeter 1.0.0?' });
    await activateDialog.waitFor();
    expect(await activateDialog.textContent()).toMatch(/No version of Greeter is active now/);
    await confirmDialog(review, 'Activate Greeter 1.0.0?', 'Activate');
    await expect.poll(() => review.getByRole('status').textContent()).toBe('Greeter 1.0.0 is now the active version.');
    await expect.poll(() => review.locator('.page-head .badge').first().textContent()).toBe('active');
    // The audit trail shows who did what.
    const audit = review.locator('table.audit');
    await expect.poll(() => audit.textContent()).toMatch(/approve.*rita.*looks good/s);
    expect(await audit.textContent()).toMatch(/activate.*rita/s);
    await screenshots(review, 'version');
    expect((await server.call('GET', '/custom-nodes/Greeter@1.0.0', bearer('acme', 'ana'))).json.customNode).toMatchObject({ status: 'active', reviewedBy: 'rita', reviewNote: 'looks good' });

    // The author runs it from the playground and sees its writes.
    await nav(page, 'Playground').click();
    await page.getByRole('heading', { name: 'Playground', level: 1 }).waitFor();
    await page.getByLabel('Node', { exact: true }).fill('Greeter');
    await page.getByLabel('Props (JSON)').fill('{ "who": "Ada" }');
    await page.getByRole('button', { name: 'Run node' }).click();
    const nodeResult = page.getByRole('form', { name: 'Run a custom node' }).locator('xpath=..').locator('.result');
    await expect.poll(() => nodeResult.textContent(), { timeout: 30_000 }).toMatch(/SUCCESS/);
    expect(await nodeResult.getByRole('region', { name: 'Blackboard writes' }).textContent()).toBe(JSON.stringify({ greeting: 'Hello, Ada' }, null, 2));
    expect(await nodeResult.textContent()).toMatch(/Greeter 1\.0\.0/);
    expect(await nodeResult.textContent()).toMatch(/CPU.*ms/s);

    // And a script against the sample blackboard.
    await page.getByRole('button', { name: 'Run script' }).click();
    const scriptResult = page.getByRole('form', { name: 'Run a script' }).locator('xpath=..').locator('.result');
    await expect.poll(() => scriptResult.textContent(), { timeout: 30_000 }).toMatch(/succeeded/);
    expect(await scriptResult.getByRole('region', { name: 'Value' }).textContent()).toBe(JSON.stringify({ greeting: 'Hello, Ada' }, null, 2));
    expect(await scriptResult.locator('.log-lines').textContent()).toBe('greeting Ada');
    await screenshots(page, 'playground');

    // A script error shows its kind, line and message.
    await page.getByRole('textbox', { name: 'Script' }).fill('const a = 1;\nthrow new Error("boom");');
    await page.getByRole('button', { name: 'Run script' }).click();
    await expect.poll(() => scriptResult.textContent(), { timeout: 30_000 }).toMatch(/failed.*runtime error at line 2.*boom/s);

    // Invalid JSON in a field is shown under it, and nothing is sent.
    await page.getByLabel('Props (JSON)').fill('{ who: Ada }');
    await page.getByRole('button', { name: 'Run node' }).click();
    expect(await page.getByLabel('Props (JSON)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error:not([hidden])').textContent()).toMatch(/The props is not valid JSON/);

    // The nodes list: name, active version, status badges.
    await nav(page, 'Nodes').click();
    const row = page.getByRole('row', { name: /Greeter/ });
    await row.waitFor();
    // The playground's last message does not follow the user to another page.
    expect(await page.getByRole('status').textContent()).toBe('');
    expect(await row.locator('[data-label="Active version"]').textContent()).toBe('1.0.0');
    expect(await row.locator('.badge').allTextContents()).toEqual(['active']);
    await screenshots(page, 'nodes');

    expect(pageErrors(author.record)).toEqual([]);
    expect(pageErrors(approver.record)).toEqual([]);
    await author.context.close();
    await approver.context.close();
  });

  it('a .ts file chosen or dropped fills the source (and the name, when empty); another file type is refused', async () => {
    const { page, context, record } = await signedInPage(browser, server.origin, ANA);
    await page.goto(`${server.uiUrl}#/upload`);
    await page.getByRole('heading', { name: 'Upload a node' }).waitFor();
    await page.getByLabel('Or choose a .ts file:').setInputFiles({ name: 'greeter.ts', mimeType: 'text/typescript', buffer: Buffer.from(greeterSource('!')) });
    await expect.poll(() => page.getByLabel('Source (TypeScript)').inputValue()).toBe(greeterSource('!'));
    expect(await page.getByLabel('Name').inputValue()).toBe('Greeter');

    // Dropped on the drop zone (a DataTransfer built in the page: Playwright cannot drag files from the OS).
    const drop = async (name: string, text: string) => {
      const transfer = await page.evaluateHandle(`(() => { const t = new DataTransfer(); t.items.add(new File([${JSON.stringify(text)}], ${JSON.stringify(name)})); return t; })()`);
      await page.locator('.drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
    };
    await drop('other.ts', greeterSource('?'));
    await expect.poll(() => page.getByLabel('Source (TypeScript)').inputValue()).toBe(greeterSource('?'));
    await drop('notes.txt', 'not a node');
    await expect.poll(() => page.locator('.field-error:not([hidden])').textContent()).toBe('notes.txt is not a .ts file.');
    expect(await page.getByLabel('Source (TypeScript)').inputValue()).toBe(greeterSource('?'));
    expect(await page.getByLabel('Source (TypeScript)').getAttribute('aria-invalid')).toBe('true');
    expect(pageErrors(record)).toEqual([]);
    await context.close();
  });

  it('activates against the active version the page showed (409 when it changed meanwhile), and rolls back', async () => {
    const ana = bearer('acme', 'ana');
    const rita = bearer('acme', 'rita', ['approver']);
    for (const version of ['1.1.0', '1.2.0']) {
      expect((await server.call('POST', '/custom-nodes', ana, { name: 'Greeter', version, sourceCode: greeterSource(version) })).status).toBe(201);
      expect((await server.call('POST', `/custom-nodes/Greeter@${version}/approve`, rita)).status).toBe(200);
    }
    const approver = await signedInPage(browser, server.origin, RITA);
    const { page } = approver;
    await page.goto(`${server.uiUrl}#/versions/Greeter%401.2.0`);
    await page.getByRole('heading', { name: 'Greeter 1.2.0', level: 1 }).waitFor();
    // Someone else activates 1.1.0 while the page still shows 1.0.0 as active.
    expect((await server.call('POST', '/custom-nodes/Greeter@1.1.0/activate', ana)).status).toBe(200);

    await page.getByRole('button', { name: 'Activate' }).click();
    expect(await page.getByRole('dialog').textContent()).toMatch(/instead of 1\.0\.0, the active version now/);
    await confirmDialog(page, 'Activate Greeter 1.2.0?', 'Activate');
    const banner = page.getByRole('alert');
    await expect.poll(() => banner.textContent()).toMatch(/expected 1\.0\.0 to be active, but the active version is 1\.1\.0/);
    expect(await banner.textContent()).toMatch(/409 CONFLICT/);
    expect((await server.call('GET', '/custom-nodes', ana)).json.nodes[0].active).toBe('1.1.0');

    // Roll back from 1.1.0: 1.0.0 is active again. Cancel first: nothing happens.
    await page.goto(`${server.uiUrl}#/versions/Greeter%401.1.0`);
    await page.getByRole('heading', { name: 'Greeter 1.1.0', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Roll back' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll back Greeter?' });
    expect(await dialog.textContent()).toMatch(/Greeter 1\.1\.0 stops being the active version/);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await server.call('GET', '/custom-nodes', ana)).json.nodes[0].active).toBe('1.1.0');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await confirmDialog(page, 'Roll back Greeter?', 'Roll back');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Greeter rolled back from 1.1.0.');
    expect((await server.call('GET', '/custom-nodes', ana)).json.nodes[0].active).toBe('1.0.0');

    // Reject and Deprecate ask for their reason and message; an empty one is not sent.
    await page.goto(`${server.uiUrl}#/versions/Greeter%401.2.0`);
    await page.getByRole('heading', { name: 'Greeter 1.2.0', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Reject' }).click();
    const reject = page.getByRole('dialog', { name: 'Reject Greeter 1.2.0?' });
    await reject.getByLabel('Reason').fill('   ');
    await reject.getByRole('button', { name: 'Reject' }).click();
    expect(await reject.isVisible()).toBe(true);
    await reject.getByLabel('Reason').fill('greets too loudly');
    await reject.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => page.locator('.page-head .badge').first().textContent()).toBe('rejected');
    expect((await server.call('GET', '/custom-nodes/Greeter@1.2.0', ana)).json.customNode).toMatchObject({ status: 'rejected', reviewNote: 'greets too loudly' });
    expect(pageErrors(approver.record)).toEqual([]);
    await approver.context.close();
  });
});
