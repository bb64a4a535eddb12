// Webhook signatures: `X-Margin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. While a
// rotated secret's overlap window lasts, one v1 per secret (newest first), so a receiver still holding the old
// secret keeps verifying until it switches; a receiver accepts when any v1 matches.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Margin-Signature';
export const DELIVERY_HEADER = 'X-Margin-Delivery';

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The header value for `body` signed at `timestamp` with each secret, in the order given. */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signatureOf(s, timestamp, body)}`)].join(',');
}

/**
 * What a receiver does (used by Margin's tests, and documented for receivers): true when a v1 matches and
 * the timestamp is within `toleranceSeconds` of `now` (replays of an old request are refused).
 */
export function verifySignature(secret: string, header: string, body: string, now: Date, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((p) => p.trim());
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2));
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, t, body), 'hex');
  return parts
    .filter((p) => p.startsWith('v1='))
    .some((p) => {
      const given = Buffer.from(p.slice(3), 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/** Credentials of a webhook endpoint: the secret, and the one it replaced while the overlap window lasts. */
export interface WebhookSecrets {
  secret: string;
  previousSecret?: string;
  /** ISO time the previous secret stops being used. */
  previousSecretUntil?: string;
}

/** The secrets to sign with at `now`: the current one, then the previous one until its window ends. */
export function signingSecrets(c: Readonly<Record<string, string>>, now: Date): string[] {
  const secrets = c['secret'] ? [c['secret']] : [];
  const until = c['previousSecretUntil'] ? Date.parse(c['previousSecretUntil']) : NaN;
  if (c['previousSecret'] && Number.isFinite(until) && until > now.getTime()) secrets.push(c['previousSecret']);
  return secrets;
}
