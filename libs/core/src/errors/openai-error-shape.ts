// OpenAI's error wire shape, for everything under /v1: the OpenAI SDKs (and LangChain, the AI SDK) read
// `error.message`, `error.type` and `error.code` to pick the exception they raise and whether to retry, so
// every /v1 answer that is not a success speaks it — route errors, 404s for unknown paths, body-parser 400/413s.

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** Statuses a retry can fix: the SDKs retry them by default (408, 409, 429, 5xx). */
const RETRYABLE = new Set([408, 409, 429]);

export const isOpenAiPath = (path: string): boolean => path === '/v1' || path.startsWith('/v1/');

export function openAiErrorBody(status: number, message: string | string[], code: string | null = null, param: string | null = null): OpenAiErrorBody {
  return { error: { message: Array.isArray(message) ? message.join('; ') : message, type: TYPES[status] ?? 'api_error', param, code } };
}

/**
 * `x-should-retry`, which the OpenAI SDKs obey before their own status rules: false where a retry cannot help
 * (a 4xx about the request, e.g. a prompt over the context window), true on 429 and 5xx.
 */
export function openAiShouldRetry(status: number): 'true' | 'false' {
  return status >= 500 || RETRYABLE.has(status) ? 'true' : 'false';
}
