/**
 * A tiny HTTP proxy on 127.0.0.1 that injects faults in front of a real test server: it answers
 * some requests itself (503, 409, …), or forwards a request and then drops the connection instead
 * of returning the answer (the write happened, the client never hears of it). Everything else is
 * forwarded unchanged, Host header included, so signed requests stay valid.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'forward' }
  | { kind: 'respond'; status: number; body?: string; headers?: Record<string, string> }
  /** Forward, let the server apply it, then reset the client's connection without an answer. */
  | { kind: 'drop-answer' };

/** A request the proxy saw. */
export interface SeenRequest {
  method: string;
  url: string;
  fault: Fault['kind'];
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts a proxy to `upstream` (e.g. `http://127.0.0.1:9000`). `decide` picks the fault for each
 * request, in arrival order.
 */
export async function startFaultProxy(upstream: string, decide: (req: IncomingMessage, index: number) => Fault): Promise<FaultProxy> {
  const target = new URL(upstream);
  const seen: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const fault = decide(req, seen.length);
    seen.push({ method: req.method ?? '', url: req.url ?? '', fault: fault.kind });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (fault.kind === 'respond') {
        res.writeHead(fault.status, { 'content-type': 'application/xml', ...fault.headers });
        res.end(fault.body ?? '');
        return;
      }
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          if (fault.kind === 'drop-answer') {
            upstreamRes.resume();
            upstreamRes.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstreamReq.on('error', () => req.socket.destroy());
      upstreamReq.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
