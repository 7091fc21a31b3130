/**
 * A tiny HTTP server on 127.0.0.1 standing in for the seed's `https://api.example.com`: `GET /data`
 * serves a list of `{ value }` items, `POST /results` records the JSON body it receives. Used by
 * the demo and by the data-processing end-to-end test.
 *
 * @module
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running server. */
export interface DataServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Bodies POSTed to `/results`, parsed, in arrival order. */
  readonly received: unknown[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

/** Starts the server on a random port of 127.0.0.1 and serves `values` as `[{ value }, …]`. */
export async function startDataServer(values: readonly number[]): Promise<DataServer> {
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/data') return reply(200, values.map((value, i) => ({ id: i + 1, value })));
    if (req.method === 'POST' && req.url === '/results') {
      readJson(req).then(
        (body) => {
          received.push(body);
          reply(201, { stored: true });
        },
        (e: Error) => reply(400, { error: e.message }),
      );
      return;
    }
    reply(404, { error: `no route ${req.method} ${req.url}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
