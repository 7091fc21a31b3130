/**
 * The files `init` writes: their TypeScript typechecks under the project's strict settings against
 * the library's own types (the SDK, the testing harness), and names are derived consistently.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { camelOf, kebabOf, projectFiles } from '../../src/cli/templates.js';
import { compilerOptions, repoRoot } from '../docs/example-workspace.js';

const dir = join(repoRoot, '.tmp', `cli-template-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('init templates', () => {
  it('typecheck with strict settings against the SDK and the testing harness', () => {
    const files = projectFiles({ name: 'CreateJiraTicket', librarySpec: '^0.1.0' });
    const roots: string[] = [];
    for (const [path, text] of Object.entries(files)) {
      const file = join(dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      if (file.endsWith('.ts')) roots.push(file);
    }
    expect(roots.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['src/create-jira-ticket.schema.ts', 'src/create-jira-ticket.test.ts', 'src/create-jira-ticket.ts']);
    const generated = JSON.parse(files['tsconfig.json']!) as { compilerOptions: Record<string, unknown> };
    const options = { ...compilerOptions(), strict: true, verbatimModuleSyntax: generated.compilerOptions.verbatimModuleSyntax as boolean, noEmit: true };
    const program = ts.createProgram(roots, options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && d.file.fileName.startsWith(dir))
      .map((d) => `${d.file!.fileName.slice(dir.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });

  it('derives file and capability names from the node name', () => {
    expect(kebabOf('SendSlackMessage')).toBe('send-slack-message');
    expect(kebabOf('HTTPRequest2')).toBe('http-request2');
    expect(camelOf('SendSlackMessage')).toBe('sendSlackMessage');
    const files = projectFiles({ name: 'Ping', librarySpec: 'file:../lib' });
    expect(JSON.parse(files['package.json']!).devDependencies['@wayfarer-ai/btree-plugins']).toBe('file:../lib');
    expect(files['src/ping.ts']).toContain("name: 'Ping'");
  });
});
