/**
 * The host's own activities used by the example workflows (tenant nodes never call these
 * directly). Here: one HTTP call, as the seed's `HttpRequest` node needs.
 *
 * @module
 */

/** What the example's `HttpRequest` node sends. */
export interface HttpRequestInput {
  url: string;
  method: string;
  body?: unknown;
}

/** What it gets back: status and parsed JSON (or text). */
export interface HttpResponse {
  status: number;
  data: unknown;
}

/** The host's activity interface, as the workflow proxies it. */
export interface HostActivities {
  httpRequest(input: HttpRequestInput): Promise<HttpResponse>;
}

/** The host's activity implementations, registered next to the plugin activities. */
export function createHostActivities(): HostActivities {
  return {
    async httpRequest({ url, method, body }) {
      const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
      if (body !== undefined && method !== 'GET') init.body = JSON.stringify(body);
      const res = await fetch(url, init);
      const text = await res.text();
      let data: unknown = text;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, data };
    },
  };
}
