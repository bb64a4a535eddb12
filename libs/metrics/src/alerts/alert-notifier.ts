import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENTS_CHANNEL, type AlertState, type AlertView } from '@margin/contracts';
import { guardedFetch, OutboundPolicy, REDIS, webhookSignature } from '@margin/core';
import type Redis from 'ioredis';

export interface WebhookTarget {
  url: string;
  secret?: string;
  format: 'margin' | 'slack';
}

/** `t=<unix>,v1=<hex hmac-sha256(secret, "t.body")>`, as publishing signs its webhooks. */
export const signature = webhookSignature;

export function webhookBody(alert: AlertView, format: 'margin' | 'slack'): string {
  if (format === 'margin') return JSON.stringify({ event: `alert.${alert.state}`, alert });
  const what = alert.subject ? `${alert.rule} (${alert.subject})` : alert.rule;
  const icon = alert.state === 'firing' ? ':rotating_light:' : ':white_check_mark:';
  return JSON.stringify({ text: `${icon} Margin alert ${what} ${alert.state}: value ${alert.value}, threshold ${alert.threshold}` });
}

/** Where alerts go: the tenant's progress feed (through Redis, like budget alerts) and its webhook. */
@Injectable()
export class AlertNotifier {
  private readonly logger = new Logger(AlertNotifier.name);
  private readonly fetch: typeof fetch;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    policy: OutboundPolicy,
  ) {
    this.fetch = guardedFetch(policy);
  }

  async socket(tenantId: string, event: { rule: string; state: AlertState; value: number; subject: string }): Promise<void> {
    try {
      await this.redis.publish(EVENTS_CHANNEL, JSON.stringify({ type: 'alert', tenantId, ...event }));
    } catch (err) {
      this.logger.warn(`Alert not sent to the progress feed: ${(err as Error).message}`);
    }
  }

  /** True when the receiver answered 2xx. */
  async webhook(target: WebhookTarget, alert: AlertView, now: Date): Promise<boolean> {
    const body = webhookBody(alert, target.format);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Margin-Alerts/1', 'x-margin-alert': alert.id };
    if (target.secret) headers['x-margin-signature'] = signature(target.secret, body, Math.floor(now.getTime() / 1000));
    try {
      const res = await this.fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return true;
      this.logger.warn({ alertId: alert.id, status: res.status }, 'Alert webhook answered an error: retried on the next evaluation');
    } catch (err) {
      this.logger.warn({ alertId: alert.id }, `Alert webhook failed: ${(err as Error).message}`);
    }
    return false;
  }
}
