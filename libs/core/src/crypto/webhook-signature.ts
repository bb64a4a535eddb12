import { createHmac } from 'node:crypto';

/**
 * The signature header Margin puts on what it sends to a receiver's URL (alerts, instant-analysis callbacks; the
 * scheme publishing's webhooks use): `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. A receiver
 * recomputes it over the raw body and refuses a stale `t` (replays).
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}
