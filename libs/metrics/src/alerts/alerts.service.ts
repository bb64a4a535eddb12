import { Injectable } from '@nestjs/common';
import type { AlertRule, AlertState, AlertView } from '@margin/contracts';
import { DomainError, OutboundPolicy, SecretBox } from '@margin/core';
import { checkRules } from './alert-rules';
import { toAlertView } from './alert-evaluator';
import { AlertsRepository } from './alerts.repository';

export class AlertRulesInvalidError extends DomainError {
  readonly httpStatus = 400;
  readonly code = 'invalid_alert_rules';
  constructor(override readonly details: string[]) {
    super(details.join('; '));
  }
}

export interface AlertRulesView {
  rules: AlertRule[];
  /** Where notifications go; the secret is never returned, only whether one is set. */
  webhook: { url: string; format: 'margin' | 'slack'; secretSet: boolean } | null;
}

export interface PutAlertRulesInput {
  rules: unknown;
  webhook?: { url?: unknown; secret?: unknown; format?: unknown } | null;
}

@Injectable()
export class AlertsService {
  constructor(
    private readonly repo: AlertsRepository,
    private readonly secrets: SecretBox,
    private readonly policy: OutboundPolicy,
  ) {}

  async rules(tenantId: string): Promise<AlertRulesView> {
    const set = await this.repo.ruleSet(tenantId);
    return {
      rules: set?.rules ?? [],
      webhook: set?.webhookUrl ? { url: set.webhookUrl, format: set.webhookFormat, secretSet: set.webhookSecret !== null } : null,
    };
  }

  /**
   * Replaces the rules. `webhook` omitted keeps the current one; null removes it; a webhook without `secret`
   * keeps the stored secret when the URL is unchanged.
   */
  async putRules(tenantId: string, input: PutAlertRulesInput): Promise<AlertRulesView> {
    const { rules, problems } = checkRules(input.rules);
    const current = await this.repo.ruleSet(tenantId);
    let webhookUrl = current?.webhookUrl ?? null;
    let webhookSecret = current?.webhookSecret ?? null;
    let webhookFormat = current?.webhookFormat ?? 'margin';
    if (input.webhook === null) {
      webhookUrl = null;
      webhookSecret = null;
    } else if (input.webhook !== undefined) {
      const w = input.webhook;
      if (typeof w !== 'object' || Array.isArray(w)) problems.push('webhook must be an object or null');
      else {
        if (typeof w.url !== 'string' || !/^https?:\/\/\S+$/.test(w.url) || w.url.length > 2000) problems.push('webhook.url must be an http(s) URL');
        else {
          const refused = this.policy.refusal(w.url);
          if (refused) problems.push(`webhook.url is not allowed: ${refused}`);
        }
        if (w.secret !== undefined && (typeof w.secret !== 'string' || w.secret.length < 16 || w.secret.length > 200))
          problems.push('webhook.secret must be a string of 16 to 200 characters');
        if (w.format !== undefined && w.format !== 'margin' && w.format !== 'slack') problems.push('webhook.format must be "margin" or "slack"');
        if (problems.length === 0) {
          const url = w.url as string;
          if (typeof w.secret === 'string') webhookSecret = this.secrets.encrypt(w.secret);
          else if (url !== webhookUrl) webhookSecret = null;
          webhookUrl = url;
          webhookFormat = (w.format as 'margin' | 'slack' | undefined) ?? webhookFormat;
        }
      }
    }
    if (!rules || problems.length > 0) throw new AlertRulesInvalidError(problems);
    await this.repo.saveRuleSet({ tenantId, rules, webhookUrl, webhookSecret, webhookFormat });
    return this.rules(tenantId);
  }

  async list(tenantId: string, options: { state?: AlertState; limit?: number }): Promise<AlertView[]> {
    const rows = await this.repo.list(tenantId, { state: options.state, limit: Math.min(Math.max(options.limit ?? 100, 1), 500) });
    return rows.map(toAlertView);
  }
}
