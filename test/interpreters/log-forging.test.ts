/**
 * Hazard: interpreter output forging host log lines (issue 19). `print` / `console.log` text of
 * `PythonInterpreter` and `JavaScriptInterpreter` scripts reaches the host logger through the same
 * rule as custom-node logs (`binding-core/guest-log.ts`): escaped, tagged by the host, rate-limited
 * per tenant. One test per forging trick and language, on the real engines, through a `PluginHost`.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { loadBtree } from '../setup/btree-module.js';

const testHost = await loadBtree();

type Line = { level: string; message: string; fields: Record<string, unknown> };

function recordingLogger() {
  const lines: Line[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields: fields ?? {} });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A string literal valid in both JavaScript and Python, ASCII only: every other character as \uXXXX. */
function literal(text: string): string {
  return `"${[...text].map((c) => (c >= ' ' && c <= '~' && c !== '"' && c !== '\\' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('')}"`;
}

/** Raw characters that must never reach a host log line. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const TRICKS: Array<{ name: string; printed: string; shows: string }> = [
  { name: 'newlines', printed: 'ok\n[ERROR] tenant=victim node=Pay forged line', shows: '[ERROR] tenant=victim node=Pay forged line' },
  { name: 'carriage returns', printed: 'progress 10%\r[ERROR] tenant=victim overwritten', shows: '\\u000d[ERROR] tenant=victim overwritten' },
  { name: 'ANSI escapes', printed: '\u001b[2K\u001b[1G[ERROR] tenant=victim\u001b]0;owned\u0007', shows: '\\u001b[2K\\u001b[1G[ERROR] tenant=victim\\u001b]0;owned\\u0007' },
  { name: 'U+2028 and U+2029', printed: 'a\u2028[ERROR] tenant=victim\u2029b', shows: 'a\\u2028[ERROR] tenant=victim\\u2029b' },
  { name: 'fake tags', printed: '[PythonInterpreter:Pay] [JavaScriptInterpreter:Pay] tenant=victim source=host', shows: '[PythonInterpreter:Pay] [JavaScriptInterpreter:Pay] tenant=victim source=host' },
  { name: 'bidi overrides', printed: 'total=\u202e0001\u202c EUR', shows: 'total=\\u202e0001\\u202c EUR' },
];

const LANGUAGES = [
  { type: 'JavaScriptInterpreter', print: (s: string) => `console.log(${s}); result = 1;` },
  { type: 'PythonInterpreter', print: (s: string) => `print(${s})\nresult = 1` },
] as const;

let host: PluginHost;
let logger: ReturnType<typeof recordingLogger>;
let registry: InstanceType<typeof testHost.Registry>;

beforeAll(async () => {
  testHost.setTestHostLogging(false);
  logger = recordingLogger();
  host = new PluginHost({
    btree: testHost,
    storage: new MemoryStorage(),
    logger,
    interpreters: { javascript: true, python: { engine: { cacheDir: join(tmpdir(), 'btree-plugins-test-pyodide-cache') } } },
  });
  registry = new testHost.Registry();
  testHost.registerStandardNodes(registry);
  await host.registerNodes(registry, 'acme');
}, 120_000);

afterAll(async () => {
  await host.dispose();
});

async function runNode(type: string, script: string, name = 'probe'): Promise<Line[]> {
  const before = logger.lines.length;
  const yaml = dump({ type, id: 'probe', name, props: { script } });
  const root = testHost.loadTreeFromYaml(yaml, registry);
  const result = await new testHost.BehaviorTree(root).toWorkflow()({ input: {}, treeRegistry: registry });
  expect(result.status, String(root.lastError)).toBe('SUCCESS');
  return logger.lines.slice(before);
}

describe.each(LANGUAGES)('$type output cannot forge host log lines', ({ type, print }) => {
  it.each(TRICKS)('log forgery: $name', async ({ printed, shows }) => {
    const lines = await runNode(type, print(literal(printed)));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.message).not.toMatch(UNSAFE);
      // The host's prefix opens every line; whatever the script printed comes after it.
      expect(line.message.startsWith(`[${type}:probe] `), line.message).toBe(true);
      expect(line).toMatchObject({ level: 'info', fields: { tenantId: 'acme', node: type, nodeId: 'probe', source: 'guest' } });
      expect(Object.keys(line.fields).sort()).toEqual(['node', 'nodeId', 'source', 'tenantId']);
    }
    expect(lines.map((l) => l.message).join('\n')).toContain(shows);
  });

  it('log forgery: a node name with a line break cannot break the prefix', async () => {
    const lines = await runNode(type, print(literal('hello')), 'probe\n[ERROR] host');
    expect(lines.map((l) => l.message)).toEqual([`[${type}:probe\\u000a[ERROR] host] hello`]);
  });
});

describe('one log rate per tenant for scripts and custom nodes', () => {
  it('a script that used up the tenant’s rate leaves no room for its custom node’s lines', async () => {
    const log = recordingLogger();
    const shared = new PluginHost({
      btree: testHost,
      storage: new MemoryStorage(),
      logger: log,
      limits: { logRatePerSecond: 1 },
      interpreters: { javascript: { limits: { logRatePerSecond: 1 } } },
    });
    try {
      await shared.registry.publish('acme', {
        name: 'Chatty',
        version: '1.0.0',
        source: "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class Chatty extends ActionNode { async executeTick() { console.log('from the custom node'); return NodeStatus.SUCCESS; } }\n",
      });
      await shared.registry.approve('acme', 'Chatty', '1.0.0', { by: 'reviewer' });
      await shared.registry.activate('acme', 'Chatty', '1.0.0', { by: 'ana' });
      const reg = new testHost.Registry();
      testHost.registerStandardNodes(reg);
      await shared.registerNodes(reg, 'acme');
      const tree = (yaml: string) => new testHost.BehaviorTree(testHost.loadTreeFromYaml(yaml, reg)).toWorkflow()({ input: {}, treeRegistry: reg });
      const both = dump({ type: 'Sequence', children: [{ type: 'JavaScriptInterpreter', id: 's', props: { script: "console.log('from the script'); result = 1" } }, { type: 'Chatty', id: 'c' }] });
      expect((await tree(both)).status).toBe('SUCCESS');
      expect(log.lines.map((l) => l.message)).toEqual(['[JavaScriptInterpreter:s] from the script']);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await tree(dump({ type: 'Chatty', id: 'c' }))).status).toBe('SUCCESS');
      expect(log.lines[1]).toMatchObject({ level: 'warn', message: '1 guest log lines were dropped by the rate limit', fields: { tenantId: 'acme', node: 'Chatty', dropped: 1 } });
    } finally {
      await shared.dispose();
    }
  });
});
