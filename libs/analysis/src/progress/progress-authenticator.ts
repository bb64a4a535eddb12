import type { Principal } from '@margin/identity';

/** Credentials found in a socket.io handshake. */
export interface HandshakeCredentials {
  /** A JWT, or an API key sent as a bearer token. */
  token?: string;
  apiKey?: string;
}

/** Resolves handshake credentials to a principal; the gateway depends on this so that tests can fake it. */
export abstract class ProgressAuthenticator {
  /** null: missing or bad credentials. */
  abstract authenticate(credentials: HandshakeCredentials): Promise<Principal | null>;
}

interface HandshakeLike {
  auth?: Record<string, unknown>;
  headers?: Record<string, string | string[] | undefined>;
}

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined);

/**
 * `auth: {token}` / `auth: {apiKey}` as the contract says, and, for clients that can set headers (Node,
 * server-to-server), `Authorization: Bearer` and `X-API-Key` like the REST API. The handshake's own fields win.
 */
export function credentialsFromHandshake(handshake: HandshakeLike): HandshakeCredentials {
  const auth = handshake.auth ?? {};
  const headers = handshake.headers ?? {};
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(nonEmpty(headers.authorization) ?? '')?.[1];
  const token = nonEmpty(auth.token) ?? bearer;
  const apiKey = nonEmpty(auth.apiKey) ?? nonEmpty(headers['x-api-key']);
  return { ...(token ? { token } : {}), ...(apiKey ? { apiKey } : {}) };
}
