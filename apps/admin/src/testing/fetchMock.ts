// A fake `fetch` for component tests: answers "METHOD /path" from a table, records every request.

export interface MockRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface MockReply {
  status: number;
  body?: unknown;
  /** A raw body instead of JSON (CSV, JSONL downloads). */
  text?: string;
  contentType?: string;
}

export type MockHandler = (request: MockRequest) => MockReply | Promise<MockReply>;

export interface FetchMock {
  /** Every request made so far, in order. */
  requests: MockRequest[];
  /** Replace or add a route while the test runs. */
  on: (route: string, handler: MockHandler) => void;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

function fakeResponse(reply: MockReply): Response {
  const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  const type = reply.contentType ?? (reply.text === undefined ? 'application/json' : 'text/plain');
  const response: Pick<Response, 'ok' | 'status' | 'statusText' | 'text' | 'json' | 'blob'> = {
    ok: reply.status >= 200 && reply.status < 300,
    status: reply.status,
    statusText: STATUS_TEXT[reply.status] ?? '',
    text: () => Promise.resolve(text),
    json: () => Promise.resolve(JSON.parse(text) as unknown),
    blob: () => Promise.resolve(new Blob([text], { type })),
  };
  return response as Response;
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const headers = init?.headers;
  if (!headers) return {};
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return Object.fromEntries(headers.entries());
  return { ...(headers as Record<string, string>) };
}

export function installFetchMock(routes: Record<string, MockHandler>): FetchMock {
  const table = new Map(Object.entries(routes));
  const requests: MockRequest[] = [];

  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    const path = url.replace(/^https?:\/\/[^/]+/, '');
    const rawBody = init?.body;
    const request: MockRequest = {
      method,
      path,
      headers: headersOf(init),
      body: typeof rawBody === 'string' ? (JSON.parse(rawBody) as unknown) : undefined,
    };
    requests.push(request);
    const handler = table.get(`${method} ${path}`);
    if (!handler) {
      return fakeResponse({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: `No mock for ${method} ${path}` },
      });
    }
    return fakeResponse(await handler(request));
  };

  global.fetch = jest.fn(fetchImpl);
  return { requests, on: (route, handler) => table.set(route, handler) };
}

/** A reply that never arrives, to look at pending states. */
export function never(): Promise<MockReply> {
  return new Promise<MockReply>(() => undefined);
}
