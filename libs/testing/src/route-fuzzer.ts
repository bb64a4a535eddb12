// A route fuzzer driven by the app's own OpenAPI document: every operation, for every role given, gets malformed
// and hostile requests (bad JSON, wrong types per declared property, huge strings, deep nesting, corrupt or
// unknown encodings, truncated bodies, odd query and path params, odd headers). A request "fails" when the
// answer is a 5xx, never comes, or is a 4xx that is not in the API's error shape. Requests are written on raw
// TCP sockets so that anything can be sent (a Content-Length the body never reaches, corrupt chunking, a client
// that hangs up mid-body). Generation is seeded: the same seed gives the same cases, so a failure reproduces.
import net from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/** mulberry32: a tiny seeded PRNG (deterministic across runs and machines, unlike Math.random). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzRole {
  name: string;
  headers: Record<string, string>;
}

export interface FuzzCase {
  id: number;
  /** `METHOD /path/{template}` as in the OpenAPI document. */
  operation: string;
  /** What is being thrown, e.g. `body: deep nesting 100000` or `query limit: array`. */
  kind: string;
  role: string;
  method: string;
  /** Path and query, already encoded as they go on the request line. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Declare a longer Content-Length than the body, then half-close (a truncated body). */
  truncated?: boolean;
  /** Hang up after writing part of the body: no answer is expected, only that the server survives it. */
  clientGone?: boolean;
  /** The raw body is sent as-is with `Transfer-Encoding: chunked` (its framing is the case). */
  rawChunked?: boolean;
}

export interface FuzzResult {
  case: FuzzCase;
  status?: number;
  contentType?: string;
  body: string;
  /** Wall time from connect to the answer's end. */
  ms: number;
  /** Why it failed; undefined when the answer was acceptable. */
  failure?: string;
}

interface SchemaObject {
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  $ref?: string;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  example?: unknown;
}

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  schema?: SchemaObject;
}

interface OperationObject {
  parameters?: ParameterObject[];
  requestBody?: { content: Record<string, { schema?: SchemaObject }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

export interface FuzzOptions {
  seed: number;
  roles: FuzzRole[];
  /** The server's body limit in bytes: cases just under and over it are sent. */
  bodyLimitBytes: number;
  /** Wrong values tried per declared body property and role (sampled by the seed). Default 3. */
  wrongValuesPerProperty?: number;
  /** Odd values tried per declared query parameter and per path parameter (sampled by the seed). Default: all. */
  valuesPerParam?: number;
  /** Length of the huge strings put in each string property. Default 256 KiB. */
  hugeStringBytes?: number;
  /** Extra operations not in the document (e.g. routes Swagger does not describe), same shape. */
  extraPaths?: OpenApiDocument['paths'];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
export const NESTING_LIMIT = 64;

const WRONG: Record<string, unknown[]> = {
  string: [12345, -1, true, false, null, [], {}, ['x'], { $gt: '' }, 1.5],
  number: ['1', 'abc', '', true, null, [], {}, [1], -1, 0, 1.5, -0.000001, 1e308, -1e308, 2 ** 53 + 2, 1e21],
  boolean: ['true', 'false', 1, 0, null, [], {}, 'yes'],
  array: ['x', 1, {}, null, true, [null], [[[]]], [{}], [1, 'x', null, {}], { length: 3, 0: 'x' }],
  object: ['x', 1, [], null, true, [{}], { __proto__: { polluted: true } }, { constructor: { prototype: { polluted: true } } }],
};
WRONG.integer = WRONG.number;
/** Sent for every property of the type, whatever the sample: null (which @IsOptional lets through as "absent"), and the values at a database column's range or a parser's edge. */
const ALWAYS: Record<string, unknown[]> = {
  // 1e-7: more decimals than a money field takes (class-validator's maxDecimalPlaces once threw on it); 1e21: no plain decimal form
  number: [null, 1e308, 2 ** 53 + 2, -1e308, '1', 1e-7, 1e21],
  integer: [null, 1e308, 2 ** 53 + 2, -1e308, 2147483648, '1', 1e-7],
  string: [null, 12345, ['x']],
  boolean: [null],
  // [[…]]: ValidateNested alone validates an inner array's elements and lets the array through
  array: [null, [[[]]]],
  object: [null, [[]]],
};

const MALFORMED_JSON = [
  '{"a":',
  "{'a':1}",
  '[1,2',
  'nul',
  '{"a":1}}',
  '{"a" 1}',
  '\u0000',
  '{"a":"\\ud800"}',
  '{"a":"\\x"}',
  '{"a":01}',
  '{"a":NaN}',
  '{"a":1e99999}',
  '\ufeff{}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];
const NON_OBJECT_JSON = ['[]', '"text"', '123', 'null', 'true', '[{}]', '[[1]]'];

const PATH_VALUES = [
  'fuzz',
  '%00',
  'a'.repeat(3000),
  '%ZZ',
  '..%2F..%2Fetc%2Fpasswd',
  '0',
  '-1',
  '1e400',
  '%F0%9F%92%A9',
  '%27%3B--',
  'null',
  '%20',
  '00000000-0000-0000-0000-000000000000',
  '__proto__',
  'constructor',
];

function resolve(doc: OpenApiDocument, schema: SchemaObject | undefined, depth = 0): SchemaObject {
  if (!schema || depth > 8) return {};
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() ?? '';
    return resolve(doc, doc.components?.schemas?.[name], depth + 1);
  }
  const composed = schema.allOf ?? schema.oneOf ?? schema.anyOf;
  if (composed?.length) return resolve(doc, composed[0], depth + 1);
  return schema;
}

/** A value of the schema's shape (the first enum value, a short string…): the background wrong values are set against. */
function sample(doc: OpenApiDocument, raw: SchemaObject | undefined, depth = 0): unknown {
  const schema = resolve(doc, raw);
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  if (depth > 3) return undefined;
  switch (schema.type ?? 'object') {
    case 'string':
      return schema.format === 'date-time' ? '2026-01-01T00:00:00.000Z' : schema.format === 'uuid' ? '00000000-0000-4000-8000-000000000000' : 'fuzz';
    case 'number':
    case 'integer':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array': {
      const item = sample(doc, schema.items, depth + 1);
      return item === undefined ? [] : [item];
    }
    default: {
      if (!schema.properties) return schema.type === 'object' ? {} : undefined;
      return Object.fromEntries(
        Object.entries(schema.properties)
          .map(([k, v]) => [k, sample(doc, v, depth + 1)] as const)
          .filter(([, v]) => v !== undefined),
      );
    }
  }
}

/** Every property path of a body schema (nested objects and the first element of arrays of objects), with its type. */
function propertyPaths(
  doc: OpenApiDocument,
  raw: SchemaObject | undefined,
  prefix: Array<string | number> = [],
  depth = 0,
): Array<{ path: Array<string | number>; type: string }> {
  const schema = resolve(doc, raw);
  if (!schema.properties || depth > 3) return [];
  return Object.entries(schema.properties).flatMap(([key, value]) => {
    const child = resolve(doc, value);
    const here = [...prefix, key];
    const type = child.type ?? (child.properties ? 'object' : 'string');
    const nested = child.type === 'array' ? propertyPaths(doc, child.items, [...here, 0], depth + 1) : propertyPaths(doc, child, here, depth + 1);
    return [{ path: here, type }, ...nested];
  });
}

function setAt(target: unknown, path: Array<string | number>, value: unknown): unknown {
  const root = structuredClone(target ?? {}) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = root;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (next === null || typeof next !== 'object') node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
  return root;
}

function nested(depth: number, leaf: string, open = '{"a":', close = '}'): string {
  return `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;
}

function pick<T>(rng: () => number, values: readonly T[], count: number): T[] {
  const pool = [...values];
  const out: T[] = [];
  while (out.length < count && pool.length) out.push(pool.splice(Math.floor(rng() * pool.length), 1)[0] as T);
  return out;
}

function multipart(boundary: string, parts: Array<{ name: string; filename?: string; type?: string; content: string }>, end = true): Buffer {
  const body = parts
    .map(
      (p) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n${p.content}\r\n`,
    )
    .join('');
  return Buffer.from(end ? `${body}--${boundary}--\r\n` : body);
}

/** The cases for one document and seed, in a stable order. */
export function fuzzCases(doc: OpenApiDocument, options: FuzzOptions): FuzzCase[] {
  const rng = createRng(options.seed);
  const perProperty = options.wrongValuesPerProperty ?? 3;
  const cases: FuzzCase[] = [];
  const paths = { ...doc.paths, ...options.extraPaths };
  const json = { 'content-type': 'application/json' };

  for (const [template, operations] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (!METHODS.includes(method)) continue;
      const operation = `${method.toUpperCase()} ${template}`;
      const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query');
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const takesBody = method !== 'get' && method !== 'delete';
      const takesMultipart = Boolean(op.requestBody?.content['multipart/form-data']);
      const baseline = takesBody ? (sample(doc, bodySchema) ?? {}) : undefined;
      const fill = (values: Record<string, string> = {}) => template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'fuzz');
      const basePath = fill();

      for (const role of options.roles) {
        const add = (kind: string, c: Partial<FuzzCase> & { target?: string }) =>
          cases.push({
            id: cases.length,
            operation,
            kind,
            role: role.name,
            method: method.toUpperCase(),
            target: c.target ?? basePath,
            ...c,
            headers: { ...role.headers, ...c.headers },
          });
        const jsonBody = (value: unknown) => Buffer.from(JSON.stringify(value));

        add('baseline', { body: baseline === undefined ? undefined : jsonBody(baseline), headers: baseline === undefined ? {} : json });

        // Path params: odd values one at a time.
        for (const name of pathParams)
          for (const value of pick(rng, PATH_VALUES, options.valuesPerParam ?? PATH_VALUES.length))
            add(`path ${name}: ${value.slice(0, 40)}`, {
              target: fill({ [name]: value }),
              body: baseline === undefined ? undefined : jsonBody(baseline),
              headers: baseline === undefined ? {} : json,
            });

        // Query params: the declared ones get arrays, empties, huge and malformed values; every operation gets undeclared oddities.
        const queryValues = (name: string) => [
          [`${name}=1`, `${name}=2`],
          [`${name}=`],
          [`${name}=${'x'.repeat(6000)}`],
          [`${name}=%00`],
          [`${name}=%E0%A4%A`],
          [`${name}=-1`],
          [`${name}=1e400`],
          [`${name}=abc`],
          [`${name}=99999999999999999999`],
          [`${name}[]=1`],
          [`${name}[a]=1`],
          [`${name}=%5B%5D`],
          [`${name}=2026-13-45T99:99:99Z`],
          [`${name}=${Buffer.from('2026-01-01T00:00:00.000Z|not-a-uuid').toString('base64url')}`],
          [`${name}=${Buffer.from('garbage|00000000-0000-0000-0000-000000000000').toString('base64url')}`],
        ];
        // Sent for every declared query parameter, whatever the sampling: the values that once gave 500s.
        const edgeQueryValues = (name: string) => [
          // cursors that decode to a well-formed pair with an impossible part: 36 dashes for a uuid, a year JavaScript's Date cannot go below
          [`${name}=${Buffer.from(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`).toString('base64url')}`],
          [`${name}=${Buffer.from('-271821-04-20T00:00:00.000Z|00000000-0000-0000-0000-000000000000').toString('base64url')}`],
          // dates at and past the edges of what Postgres and JavaScript hold
          [`${name}=-4714-01-01T00:00:00Z`],
          [`${name}=%2B275760-09-13T00:00:00.000Z`],
          [`${name}=0000-01-01T00:00:00Z`],
          [`${name}=9999-12-31T23:59:59.999Z`],
          // a lone surrogate, UTF-8 encoded as a surrogate half would be (not valid UTF-8)
          [`${name}=%ED%A0%80`],
        ];
        const declared = queryParams.map((p) => p.name);
        // Routes that Swagger does not describe a query for still get the common ones.
        const names = declared.length ? declared : pick(rng, ['limit', 'cursor', 'from', 'to', 'status', 'format', 'version', 'groupBy'], 2);
        for (const name of names) {
          const sampled = pick(rng, queryValues(name), declared.length ? (options.valuesPerParam ?? queryValues(name).length) : 5);
          for (const q of [...(declared.length ? edgeQueryValues(name) : []), ...sampled])
            add(`query ${name}: ${q.join('&').slice(0, 50)}`, { target: `${basePath}?${q.join('&')}` });
        }
        for (const q of pick(
          rng,
          ['__proto__=1', 'constructor[prototype][polluted]=1', Array.from({ length: 1500 }, (_, i) => `p${i}=${i}`).join('&'), '%=%', '&&&', 'a=%F0%9F%92%A9'],
          3,
        ))
          add(`query: ${q.slice(0, 40)}`, { target: `${basePath}?${q}` });

        // Headers.
        for (const [name, value] of pick(
          rng,
          [
            ['authorization', 'Bearer not.a.jwt'],
            ['authorization', `Bearer ${'a'.repeat(6000)}`],
            ['authorization', 'Basic Og=='],
            ['authorization', 'Bearer mk_fuzz_' + 'x'.repeat(43)],
            ['x-api-key', 'mk_'],
            ['x-api-key', 'x'.repeat(6000)],
            ['idempotency-key', 'k'.repeat(6000)],
            ['x-request-id', '../../etc'],
            ['x-margin-complexity', 'extreme'],
            ['accept', 'text/event-stream'],
          ] as const,
          6,
        )) {
          if (role.name !== options.roles[0]?.name && name !== 'idempotency-key' && name !== 'x-margin-complexity' && name !== 'accept') continue;
          add(`header ${name}: ${value.slice(0, 30)}`, { headers: { [name]: value } });
        }

        // Bodies: every operation (body parsing happens before routing), more for those that take one.
        for (const text of pick(rng, MALFORMED_JSON, takesBody ? 7 : 2))
          add(`body: malformed ${JSON.stringify(text).slice(0, 40)}`, { body: Buffer.from(text), headers: json });
        if (takesBody) for (const text of pick(rng, NON_OBJECT_JSON, 4)) add(`body: top-level ${text}`, { body: Buffer.from(text), headers: json });
        add(`body: nesting ${NESTING_LIMIT + 1} (arrays)`, { body: Buffer.from(nested(NESTING_LIMIT + 1, '1', '[', ']')), headers: json });
        add('body: nesting 100000 (arrays)', { body: Buffer.from(nested(100_000, '1', '[', ']')), headers: json });
        add('body: nesting 20000 (objects)', { body: Buffer.from(nested(20_000, '1')), headers: json });
        add('body: empty with json content-type', { body: Buffer.alloc(0), headers: json });
        add('body: over the limit', { body: Buffer.alloc(options.bodyLimitBytes + 1024, 0x20), headers: json });

        if (takesBody) {
          const props = propertyPaths(doc, bodySchema);
          const stringProps = props.filter((p) => p.type === 'string');
          for (const { path, type } of props) {
            const label = path.join('.');
            const always = ALWAYS[type] ?? [];
            const sampled = pick(
              rng,
              (WRONG[type] ?? WRONG.string).filter((v) => !always.includes(v)),
              perProperty,
            );
            for (const wrong of [...always, ...sampled])
              add(`body ${label}: ${JSON.stringify(wrong)?.slice(0, 30)}`, { body: jsonBody(setAt(baseline, path, wrong)), headers: json });
            add(`body ${label}: nested ${NESTING_LIMIT + 1}`, {
              body: Buffer.from(JSON.stringify(setAt(baseline, path, '__NEST__')).replace('"__NEST__"', nested(NESTING_LIMIT + 1, '"x"'))),
              headers: json,
            });
          }
          for (const { path } of stringProps) {
            const label = path.join('.');
            add(`body ${label}: huge string`, { body: jsonBody(setAt(baseline, path, 'x'.repeat(options.hugeStringBytes ?? 256 * 1024))), headers: json });
            add(`body ${label}: NUL`, { body: jsonBody(setAt(baseline, path, 'a\u0000b')), headers: json });
            add(`body ${label}: lone surrogate`, {
              body: Buffer.from(JSON.stringify(setAt(baseline, path, '__S__')).replace('"__S__"', '"\\udc00x"')),
              headers: json,
            });
            add(`body ${label}: control and emoji`, { body: jsonBody(setAt(baseline, path, '\u0001\u001f\u2028💩\uFFFE')), headers: json });
          }
          const first = stringProps[0]?.path;
          if (first)
            add('body: just under the limit', {
              body: jsonBody(setAt(baseline, first, 'x'.repeat(Math.max(0, options.bodyLimitBytes - 4096)))),
              headers: json,
            });
          add('body: unknown property', { body: jsonBody({ ...(baseline as object), unknownFuzzField: 1 }), headers: json });
          add('body: 10,000-element array', { body: jsonBody({ ...(baseline as object), items: Array.from({ length: 10_000 }, () => ({})) }), headers: json });
        }

        // Content types and encodings.
        const valid = Buffer.from(JSON.stringify(baseline ?? {}));
        const garbage = Buffer.from('definitely not compressed data '.repeat(4));
        const encodings: Array<[string, Buffer, string]> = [
          ['gzip', garbage, 'corrupt gzip'],
          ['deflate', garbage, 'corrupt deflate'],
          ['br', garbage, 'corrupt br'],
          ['gzip', gzipSync(valid).subarray(0, Math.max(10, Math.floor(gzipSync(valid).length / 2))), 'truncated gzip'],
          ['gzip', gzipSync(valid), 'valid gzip'],
          ['deflate', deflateSync(valid), 'valid deflate'],
          ['br', brotliCompressSync(valid), 'valid br'],
          ['zstd', valid, 'unknown zstd'],
          ['gzip, br', gzipSync(valid), 'stacked gzip, br'],
          ['x-fuzz', valid, 'unknown x-fuzz'],
          ['gzip', gzipSync(Buffer.alloc(options.bodyLimitBytes * 4, 0x20)), 'gzip bomb'],
        ];
        for (const [encoding, body, label] of takesBody ? encodings : pick(rng, encodings, 3))
          add(`encoding: ${label}`, { body, headers: { ...json, 'content-encoding': encoding } });
        for (const [type, body] of [
          ['text/plain', valid],
          ['application/json; charset=utf-7', valid],
          ['application/json; charset=utf-16', Buffer.from(valid.toString(), 'utf16le')],
          [
            'application/x-www-form-urlencoded',
            Buffer.from(
              'a[b][c][d][e][f][g][h][i][j][k][l][m][n][o][p][q][r][s][t][u][v][w][x][y][z][a][b][c][d][e][f][g][h]=1&a=2&items[0]=x&items[9999999]=y',
            ),
          ],
          ['application/x-www-form-urlencoded', Buffer.from('%ZZ=%ZZ&=&&')],
          ['multipart/form-data', Buffer.from('no boundary here')],
          ['multipart/form-data; boundary=fuzz', Buffer.from('--fuzz\r\nnot a header\r\n\r\n')],
          ['multipart/form-data; boundary=fuzz', multipart('fuzz', [{ name: 'profile', content: 'song-analysis' }], false)],
          ['application/octet-stream', garbage],
          ['application/json', Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x7b])],
        ] as const) {
          if (!takesBody && rng() < 0.7) continue;
          add(`content-type: ${type.slice(0, 40)}`, { body, headers: { 'content-type': type } });
        }
        if (takesMultipart) {
          const b = 'fuzzboundary';
          for (const [label, body] of [
            [
              'file: garbage csv',
              multipart(b, [
                { name: 'profile', content: 'song-analysis' },
                { name: 'file', filename: 'x.csv', type: 'text/csv', content: '"unterminated,\n\u0000,,,' },
              ]),
            ],
            [
              'file: garbage json',
              multipart(b, [
                { name: 'profile', content: 'song-analysis' },
                { name: 'file', filename: 'x.json', type: 'application/json', content: nested(20_000, '1', '[', ']') },
              ]),
            ],
            [
              'file: two files',
              multipart(b, [
                { name: 'file', filename: 'a.csv', content: 'a\n1' },
                { name: 'file', filename: 'b.csv', content: 'a\n1' },
              ]),
            ],
            ['file: unexpected field', multipart(b, [{ name: 'other', filename: 'a.csv', content: 'a\n1' }])],
            [
              'file: deep field names',
              multipart(b, [
                { name: 'items' + '[a]'.repeat(200), content: 'x' },
                { name: 'profile', content: 'song-analysis' },
              ]),
            ],
            [
              'file: items array fields',
              multipart(b, [
                { name: 'profile', content: 'song-analysis' },
                { name: 'items[0][title]', content: 'x' },
                { name: 'items[99999][title]', content: 'y' },
              ]),
            ],
            [
              'file: truncated',
              multipart(
                b,
                [
                  { name: 'profile', content: 'song-analysis' },
                  { name: 'file', filename: 'x.csv', content: 'title,artist,lyrics\na,b,c' },
                ],
                false,
              ),
            ],
            [
              'file: wrong types in fields',
              multipart(b, [
                { name: 'profile', content: '' },
                { name: 'budgetUsd', content: 'lots' },
                { name: 'metadata', content: '{' },
                { name: 'priority', content: 'urgent' },
              ]),
            ],
          ] as const) {
            add(`multipart ${label}`, { body, headers: { 'content-type': `multipart/form-data; boundary=${b}` } });
          }
        }

        // Framing: truncated bodies, clients that hang up, broken chunking.
        if (takesBody || rng() < 0.3) {
          add('framing: truncated body (half-close)', { body: valid, headers: json, truncated: true });
          add('framing: client gone mid-body', { body: valid, headers: json, clientGone: true });
          add('framing: broken chunked encoding', { body: Buffer.from('zz\r\n{"a":1}\r\n0\r\n\r\n'), headers: json, rawChunked: true });
          add('framing: truncated gzip, client gone', { body: gzipSync(valid), headers: { ...json, 'content-encoding': 'gzip' }, clientGone: true });
        }
      }
    }
  }
  return cases;
}

function rawRequest(c: FuzzCase, host: string): Buffer {
  const headers: Record<string, string> = { host, connection: 'close', ...c.headers };
  if (c.body !== undefined && !c.rawChunked) headers['content-length'] = String(c.body.length + (c.truncated || c.clientGone ? 1000 : 0));
  if (c.rawChunked) headers['transfer-encoding'] = 'chunked';
  const head = `${c.method} ${c.target} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), c.body ?? Buffer.alloc(0)]);
}

/** Sends one case over a fresh socket and reads the whole answer (the server closes after it: Connection: close). */
export function sendCase(baseUrl: string, c: FuzzCase, timeoutMs: number): Promise<FuzzResult> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const started = Date.now();
    let settled = false;
    const socket = net.connect({ host: url.hostname, port: Number(url.port), allowHalfOpen: true });
    const finish = (failure?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      const contentType = /\r\ncontent-type: *([^\r]+)/i.exec(head)?.[1];
      let body = rest.join('\r\n\r\n');
      if (/\r\ntransfer-encoding: *chunked/i.test(head)) body = body.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, '');
      resolve({ case: c, status: status ? Number(status) : undefined, contentType, body, ms: Date.now() - started, failure });
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', () => finish());
    socket.on('connect', () => {
      const data = rawRequest(c, url.host);
      if (c.clientGone) {
        socket.write(data.subarray(0, Math.max(1, data.length - Math.floor((c.body?.length ?? 0) / 2))), () => setTimeout(() => finish(), 20));
        return;
      }
      socket.write(data);
      if (c.truncated) socket.end();
    });
  });
}

/** Whether a result breaks the rule: no 5xx, always an answer, 4xx in the API's error shape. */
export function judge(result: FuzzResult): FuzzResult {
  const c = result.case;
  if (result.failure) return result;
  if (result.status === undefined) {
    return c.clientGone || c.truncated ? result : { ...result, failure: 'the connection closed without an answer' };
  }
  if (result.status >= 500) return { ...result, failure: `answered ${result.status}` };
  if (result.status >= 400 && /json/.test(result.contentType ?? '')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.body);
    } catch {
      return { ...result, failure: `a ${result.status} whose JSON body does not parse` };
    }
    const openAi = c.target.startsWith('/v1/');
    const p = parsed as { statusCode?: unknown; message?: unknown; error?: { message?: unknown; type?: unknown } };
    const ok = openAi ? typeof p.error?.message === 'string' && typeof p.error.type === 'string' : p.statusCode === result.status && p.message !== undefined;
    if (!ok) return { ...result, failure: `a ${result.status} not in the ${openAi ? 'OpenAI' : "API's"} error shape` };
  } else if (result.status >= 400 && result.body.trim() !== '') {
    return { ...result, failure: `a ${result.status} that is not JSON (${result.contentType ?? 'no content-type'})` };
  }
  return result;
}

/** Runs the cases, `concurrency` at a time, and returns every judged result in case order. */
export async function runFuzz(
  baseUrl: string,
  cases: FuzzCase[],
  options: { concurrency?: number; timeoutMs?: number; onStart?: (c: FuzzCase) => void; onResult?: (r: FuzzResult) => void } = {},
): Promise<FuzzResult[]> {
  const results: FuzzResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const c = cases[index];
      if (!c) return;
      options.onStart?.(c);
      const r = judge(await sendCase(baseUrl, c, options.timeoutMs ?? 15_000));
      results[index] = r;
      options.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  return results;
}

/** A failed case, printed so that it can be read and replayed (FUZZ_SEED + FUZZ_CASE run just that one). */
export function describeFailure(r: FuzzResult, seed: number): string {
  const c = r.case;
  const body = c.body ? `${c.body.length} bytes: ${JSON.stringify(c.body.subarray(0, 200).toString('latin1'))}${c.body.length > 200 ? '…' : ''}` : '(none)';
  const headers = Object.entries(c.headers)
    .map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}… (${v.length} chars)` : v}`)
    .join('; ');
  const target = c.target.length > 200 ? `${c.target.slice(0, 200)}… (${c.target.length} chars)` : c.target;
  return [
    `✗ [FUZZ_SEED=${seed} FUZZ_CASE=${c.id}] ${c.operation} — ${c.kind} — as ${c.role}: ${r.failure}`,
    `    ${c.method} ${target}${c.truncated ? '  (body truncated, half-closed)' : ''}${c.clientGone ? '  (client hung up mid-body)' : ''}`,
    `    headers: ${headers}`,
    `    body: ${body}`,
    `    answer: ${r.status ?? '—'} ${r.body.slice(0, 300)}`,
  ].join('\n');
}
