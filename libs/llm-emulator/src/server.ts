import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  applyConfig,
  defaultConfig,
  EMULATOR_NAME,
  EMULATOR_VERSION,
  parseConfigInput,
  PROTOCOLS,
  type EmulatorConfig,
  type EmulatorConfigInput,
  type FaultKind,
} from './config';
import { BatchStore } from './batches';
import { BodyTooLargeError, header, readBody, sendJson } from './http-util';
import { sendError, type ProtocolSpec } from './pipeline';
import { anthropicCountTokens, anthropicGetModel, anthropicListModels, anthropicMessages, anthropicSpec } from './protocols/anthropic';
import { ollamaEmbed, openaiEmbeddings } from './protocols/embeddings';
import { ollamaCompletion, ollamaPs, ollamaPull, ollamaShow, ollamaSpec, ollamaTags } from './protocols/ollama';
import { openaiChatCompletions, openaiGetModel, openaiListModels, openaiSpec } from './protocols/openai';
import type { Clock } from './rate-limit';
import { EMULATOR_HEADER, Runtime, type ModelStats } from './runtime';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 11434;

export interface Emulator {
  /** the underlying node:http server */
  readonly server: Server;
  /** base URL once listening */
  readonly url: string | undefined;
  /** Starts listening (port 0 = random free port; host defaults to 127.0.0.1). */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops listening and drops every open connection (including hung requests). */
  close(): Promise<void>;
  /**
   * Injects a fault into the next requests (all models, or one): `times` uses (default: until cleared).
   * `setFault(null)` clears scheduled faults.
   */
  setFault(kind: FaultKind | null, options?: { model?: string; times?: number }): void;
  /** Changes the configuration at run time (same format as the JSON file; models merge by name). */
  configure(patch: EmulatorConfigInput): void;
  /** Clears rate-limit buckets, prompt cache, scheduled faults and statistics. */
  reset(): void;
  readonly config: EmulatorConfig;
  stats(): Record<string, ModelStats>;
  /** The batch APIs' store: completion delay and fault knobs (expired, partially failed batches). */
  readonly batches: BatchStore;
}

export interface EmulatorOptions {
  /** clock for rate limits and the prompt cache (tests) */
  now?: Clock;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: unknown, receivedAt: number) => void | Promise<void>;

function specForPath(req: IncomingMessage, path: string): ProtocolSpec {
  if (path.startsWith('/v1/')) return header(req, 'anthropic-version') !== undefined || path.startsWith('/v1/messages') ? anthropicSpec : openaiSpec;
  return ollamaSpec;
}

const JSON_PARSE_ERRORS: Record<string, string> = {
  openai:
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
  anthropic: 'There was an issue with your request body: invalid JSON',
  ollama: 'invalid character in request body: not valid JSON',
};

/** Creates the emulator (not yet listening). `config` uses the JSON file format. */
export function createEmulator(config?: EmulatorConfigInput, options: EmulatorOptions = {}): Emulator {
  const rt = new Runtime(config ? applyConfig(defaultConfig(), parseConfigInput(config)) : defaultConfig(), options.now ?? Date.now);
  let baseUrl: string | undefined;
  const batches = new BatchStore(() => baseUrl);

  const info = (): Record<string, unknown> => ({
    emulator: EMULATOR_NAME,
    version: EMULATOR_VERSION,
    protocols: PROTOCOLS,
    models: rt.config.models.map((m) => ({ name: m.name, protocol: m.protocol })),
  });

  const routes: Partial<Record<string, Handler>> = {
    'GET /': (_req, res) => sendJson(res, 200, info()),
    'GET /api/version': (_req, res) => sendJson(res, 200, { version: rt.config.ollamaVersion }),
    'GET /api/tags': (_req, res) => ollamaTags(rt, res),
    'GET /api/ps': (_req, res) => ollamaPs(rt, res),
    'POST /api/show': (_req, res, body) => ollamaShow(rt, res, body),
    'POST /api/pull': (_req, res, body) => ollamaPull(rt, res, body),
    'POST /api/chat': (req, res, body, t) => ollamaCompletion('chat', rt, req, res, body, t),
    'POST /api/generate': (req, res, body, t) => ollamaCompletion('generate', rt, req, res, body, t),
    'POST /api/embed': (req, res, body) => ollamaEmbed(rt, req, res, body),
    'GET /v1/models': (req, res) => (header(req, 'anthropic-version') !== undefined ? anthropicListModels(rt, res) : openaiListModels(rt, res)),
    'POST /v1/chat/completions': (req, res, body, t) => openaiChatCompletions(rt, req, res, body, t),
    'POST /v1/embeddings': (req, res, body) => openaiEmbeddings(rt, req, res, body),
    'POST /v1/messages': (req, res, body, t) => anthropicMessages(rt, req, res, body, t),
    'POST /v1/messages/count_tokens': (req, res, body) => anthropicCountTokens(rt, req, res, body),
    'GET /_emulator/stats': (_req, res) => sendJson(res, 200, { ...info(), stats: rt.allStats(), batches: batches.stats() }),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = performance.now();
    res.setHeader(EMULATOR_HEADER, '1');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://emulator').pathname.replace(/\/+$/, '') || '/';
    if (method === 'OPTIONS') {
      res.writeHead(204, { allow: 'GET, POST, DELETE, HEAD, OPTIONS' });
      return void res.end();
    }
    if (method === 'HEAD') {
      res.writeHead(path === '/' || path.startsWith('/api/') || path.startsWith('/v1/') ? 200 : 404);
      return void res.end();
    }
    // the deferred tiers (OpenAI files/batches, Anthropic message batches) read their own bodies
    if (await batches.handle(method, path, req, res)) return;
    let handler = routes[`${method} ${path}`];
    if (!handler && method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      handler = (r, s) => (header(r, 'anthropic-version') !== undefined ? anthropicGetModel(rt, s, id) : openaiGetModel(rt, s, id));
    }
    const spec = specForPath(req, path);
    if (!handler) {
      const other = method === 'GET' ? routes[`POST ${path}`] : routes[`GET ${path}`];
      if (other)
        return sendError(
          res,
          spec,
          'invalid_request',
          `Method ${method} is not allowed on ${path}`,
          { code: 'method_not_allowed' },
          { allow: method === 'GET' ? 'POST' : 'GET' },
        );
      return sendError(res, spec, 'not_found', `Unknown route ${method} ${path}`, { code: 'unknown_url' });
    }
    let body: unknown = undefined;
    if (method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req);
      } catch (e) {
        if (e instanceof BodyTooLargeError) return sendError(res, spec, 'invalid_request', e.message, { code: 'request_too_large' });
        throw e;
      }
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8')) as unknown;
        } catch {
          return sendError(res, spec, 'invalid_request', JSON_PARSE_ERRORS[spec.name] ?? 'invalid JSON');
        }
      } else body = {};
    }
    await handler(req, res, body, receivedAt);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        const path = new URL(req.url ?? '/', 'http://emulator').pathname;
        sendError(res, specForPath(req, path), 'server', `emulator internal error: ${e instanceof Error ? e.message : String(e)}`);
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  return {
    server,
    get url() {
      return baseUrl;
    },
    get config() {
      return rt.config;
    },
    listen(port = 0, host = DEFAULT_HOST) {
      return new Promise((resolve, reject) => {
        const onError = (e: Error): void => reject(e);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          baseUrl = `http://${shownHost}:${address.port}`;
          resolve({ url: baseUrl, port: address.port });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      });
    },
    setFault(kind, opts) {
      rt.scheduleFault(kind, opts);
    },
    configure(patch) {
      rt.setConfig(applyConfig(rt.config, parseConfigInput(patch, 'configure()')));
    },
    reset() {
      rt.reset();
      batches.reset();
    },
    batches,
    stats() {
      return rt.allStats();
    },
  };
}
