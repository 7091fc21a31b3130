/**
 * The example host node `HttpRequest` (examples/host-nodes/http-request.ts) against a real HTTP
 * server on 127.0.0.1: interpolation, responses, and the guards a host-side HTTP node needs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpRequestNode, httpRequestMetadata, type HttpRequestNodeOptions } from '../../../examples/host-nodes/http-request.js';
import { loadBtree, type SuiteBtree } from '../../setup/btree-module.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let btree: SuiteBtree;
/** `SuiteBtree` types `ActionNode` structurally (the real btree or the test host), so the registry's own constructor type is named here. */
type NodeCtor = Parameters<InstanceType<SuiteBtree['Registry']>['register']>[1];
beforeAll(async () => {
  btree = await loadBtree();
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      handler(req, res, s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { origin, seen };
}

async function tick(props: Record<string, unknown>, blackboardValues: Record<string, unknown>, options: HttpRequestNodeOptions) {
  const registry = new btree.Registry();
  registry.register('HttpRequest', createHttpRequestNode(btree, options) as unknown as NodeCtor, httpRequestMetadata);
  const root = btree.loadTreeFromYaml(JSON.stringify({ type: 'HttpRequest', id: 'call', props }), registry);
  const result = await new btree.BehaviorTree(root).toWorkflow()({ input: blackboardValues, treeRegistry: registry });
  return { status: result.status, output: result.output, lastError: (root as unknown as { lastError?: string }).lastError };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('HttpRequest (example host node)', () => {
  it('interpolates {{key}} in url (URI-encoded), headers and body; a whole-string placeholder keeps the value', async () => {
    const { origin, seen } = await serve((_req, res) => json(res, 200, { ok: 1 }));
    const { status, output } = await tick(
      {
        url: `${origin}/orders/{{order.id}}?q={{query}}`,
        method: 'post',
        headers: { 'x-tenant': '{{tenant}}' },
        body: { stats: '{{stats}}', note: 'order {{order.id}} of {{tenant}}', missing: '{{nothing}}', list: ['{{order.id}}'] },
        outputKey: 'reply',
      },
      { order: { id: 'A 1/2' }, query: 'a&b', tenant: 'acme', stats: { mean: 5, count: 2 } },
      { allowedOrigins: [origin] },
    );
    expect(status).toBe('SUCCESS');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/orders/A%201%2F2?q=a%26b');
    expect(seen[0]!.headers['x-tenant']).toBe('acme');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ stats: { mean: 5, count: 2 }, note: 'order A 1/2 of acme', missing: null, list: ['A 1/2'] });
    expect(output.reply).toMatchObject({ status: 200, ok: true, data: { ok: 1 } });
  });

  it("never inserts a blackboard prototype member ({{constructor}} resolves through btree's `key in` lookup)", async () => {
    const { origin, seen } = await serve((_req, res) => json(res, 200, {}));
    await tick({ url: `${origin}/x`, method: 'POST', body: { a: '{{constructor}}', b: 'x{{toString}}y' } }, {}, { allowedOrigins: [origin] });
    expect(JSON.parse(seen[0]!.body)).toEqual({ a: null, b: 'xy' });
  });

  it('a non-2xx status is FAILURE, with the response still written for diagnosis; text bodies stay text', async () => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down for maintenance');
    });
    const { status, output, lastError } = await tick({ url: `${origin}/data` }, {}, { allowedOrigins: [origin] });
    expect(status).toBe('FAILURE');
    expect(lastError).toBe(`HttpRequest GET ${origin}/data failed: status 503`);
    expect(output.httpResponse).toMatchObject({ status: 503, ok: false, data: 'down for maintenance' });
  });

  it('server-side request forgery: an origin outside allowedOrigins is refused before any request', async () => {
    const { origin, seen } = await serve((_req, res) => json(res, 200, {}));
    const { status, lastError } = await tick({ url: `${origin}/data` }, {}, { allowedOrigins: ['http://127.0.0.1:9'] });
    expect(status).toBe('FAILURE');
    expect(lastError).toMatch(/is not in the host's allowedOrigins$/);
    expect(seen).toEqual([]);
  });

  it('server-side request forgery by redirect: a redirect is not followed', async () => {
    const target = await serve((_req, res) => json(res, 200, { secret: true }));
    const { origin } = await serve((_req, res) => {
      res.writeHead(302, { location: `${target.origin}/internal` });
      res.end();
    });
    const { status, output } = await tick({ url: `${origin}/go` }, {}, { allowedOrigins: [origin] });
    expect(status).toBe('FAILURE');
    expect(output.httpResponse).toBeUndefined();
    expect(target.seen).toEqual([]);
  });

  it('hanging server: the request fails at its timeout instead of blocking the tree', async () => {
    const { origin } = await serve(() => {
      /* never answers */
    });
    const { status, lastError } = await tick({ url: `${origin}/slow`, timeout: '200ms' }, {}, { allowedOrigins: [origin] });
    expect(status).toBe('FAILURE');
    expect(lastError).toBe(`HttpRequest GET ${origin}/slow failed: no response within 200 ms`);
  });

  it('oversized response: a body over maxResponseBytes is FAILURE and nothing is written', async () => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('['); // streamed, no content-length: the cap is enforced while reading
      res.end(`${'1,'.repeat(5000)}1]`);
    });
    const { status, output, lastError } = await tick({ url: `${origin}/big` }, {}, { allowedOrigins: [origin], maxResponseBytes: 1000 });
    expect(status).toBe('FAILURE');
    expect(lastError).toMatch(/exceeds the 1000-byte cap$/);
    expect(output.httpResponse).toBeUndefined();
  });

  it("bad props throw the host's ConfigurationError listing every problem when the tree is built", () => {
    const registry = new btree.Registry();
    registry.register('HttpRequest', createHttpRequestNode(btree, { allowedOrigins: [] }) as unknown as NodeCtor, httpRequestMetadata);
    const yaml = JSON.stringify({ type: 'HttpRequest', id: 'bad', props: { method: 'FETCH', timeout: '2h', outputKey: '__proto__', body: 1 } });
    let thrown: unknown;
    try {
      btree.loadTreeFromYaml(yaml, registry);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(btree.ConfigurationError);
    const message = (thrown as Error).message;
    for (const prop of ['url:', 'method:', 'timeout:', 'outputKey:']) expect(message).toContain(prop);
  });
});
