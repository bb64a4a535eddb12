// Same-origin JSON client for the Margin API. Attaches the stored bearer token and turns error
// bodies ({statusCode, error, message}) into an ApiError whose messages the UI shows as they are.
import type { ApiErrorBody } from '@margin/contracts';
import { clearAccessToken, getAccessToken } from './tokenStore';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  readonly status: number;
  /** The server's `message`, always as a list (Nest sends a string or a string[]). */
  readonly messages: string[];
  readonly body: ApiErrorBody | null;

  constructor(status: number, messages: string[], body: ApiErrorBody | null) {
    super(messages.join('\n'));
    this.name = 'ApiError';
    this.status = status;
    this.messages = messages;
    this.body = body;
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method?: HttpMethod;
  body?: unknown;
  signal?: AbortSignal;
  /**
   * For calls made without a session (login). Their 401 means "wrong credentials", so it must not
   * end the session and redirect; no token is sent either.
   */
  anonymous?: boolean;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const message = (value as { message?: unknown }).message;
  return typeof message === 'string' || (Array.isArray(message) && message.every((part) => typeof part === 'string'));
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorMessages(status: number, statusText: string, body: unknown): string[] {
  if (isErrorBody(body)) {
    const messages = Array.isArray(body.message) ? body.message : [body.message];
    const nonEmpty = messages.filter((message) => message.trim() !== '');
    if (nonEmpty.length > 0) return nonEmpty;
  }
  const reason = statusText ? ` ${statusText}` : '';
  return [`Request failed (${status}${reason}).`];
}

/** Sends one request with the session's token; network failures become an ApiError with status 0. */
async function send(path: string, options: RequestOptions, accept: string): Promise<Response> {
  const { method = 'GET', body, signal, anonymous = false } = options;
  const headers: Record<string, string> = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = anonymous ? null : getAccessToken();
  if (token) headers.Authorization = `Bearer ${token}`;

  try {
    return await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, ['Could not reach the server. Check your connection and try again.'], null);
  }
}

function failure(response: Response, data: unknown, anonymous: boolean): ApiError {
  // The session is over (expired or revoked token): dropping the token sends the user to /login.
  if (response.status === 401 && !anonymous) clearAccessToken();
  return new ApiError(response.status, errorMessages(response.status, response.statusText, data), isErrorBody(data) ? data : null);
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options, 'application/json');
  const data = parseJson(await response.text());
  if (!response.ok) throw failure(response, data, options.anonymous ?? false);
  return data as T;
}

/** A file the API streams (results, exports), with the same auth and errors as apiRequest. */
export async function apiDownload(path: string, options: Pick<RequestOptions, 'signal'> = {}): Promise<Blob> {
  const response = await send(path, options, '*/*');
  if (!response.ok) throw failure(response, parseJson(await response.text()), false);
  return response.blob();
}
