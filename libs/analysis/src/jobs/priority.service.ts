import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Priority } from '@margin/contracts';
import { ChangeFeed, DomainError, unsafePatternProblem } from '@margin/core';
import { PriorityRuleRepository } from './priority-rule.repository';

export interface PriorityRule {
  /** A regular expression (case-insensitive, PostgreSQL/JS word boundaries \\m \\M or \\b) over the job name and metadata values. */
  pattern: string;
  priority: Priority;
}

export class InvalidPriorityRuleError extends DomainError {
  readonly code = 'invalid_priority_rule';
  readonly httpStatus = 400;
}

function toJsRegex(pattern: string): RegExp {
  // Rules are stored with PostgreSQL's word boundaries; JavaScript spells them \b.
  return new RegExp(pattern.replace(/\\[mM]/g, '\\b'), 'i');
}

/** `auto` priority: the first rule whose pattern matches the job's name or a metadata value decides. */
const RULES_TOPIC = 'priority-rules';
/** The rules are read for every `auto` submission: kept in memory this long, or until they change anywhere. */
const RULES_TTL_MS = 30_000;

@Injectable()
export class PriorityService implements OnModuleInit {
  private cached: { rules: Promise<PriorityRule[]>; at: number } | null = null;

  constructor(
    private readonly repo: PriorityRuleRepository,
    private readonly changes: ChangeFeed,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.changes.subscribe(RULES_TOPIC, () => {
      this.cached = null;
    });
  }

  rules(): Promise<PriorityRule[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > RULES_TTL_MS) {
      const rules = this.repo.list();
      this.cached = { rules, at: now };
      rules.catch(() => {
        this.cached = null;
      });
    }
    return this.cached.rules;
  }

  async replace(rules: PriorityRule[]): Promise<PriorityRule[]> {
    // rules run on every submission's name and metadata: a pattern that can backtrack for ever is refused
    const verdicts = await Promise.all(rules.map((r) => unsafePatternProblem(r.pattern.replace(/\\[mM]/g, '\\b'), 'i')));
    verdicts.forEach((why, i) => {
      if (why) throw new InvalidPriorityRuleError(`rules.${i}.pattern ${why}`);
    });
    await this.repo.replace(rules);
    this.cached = null;
    await this.changes.publish(RULES_TOPIC);
    return this.rules();
  }

  async resolve(
    requested: Priority | 'auto' | undefined,
    name: string | null | undefined,
    metadata: Record<string, unknown> | null | undefined,
  ): Promise<Priority> {
    if (requested && requested !== 'auto') return requested;
    const haystack = [name ?? '', ...Object.values(metadata ?? {}).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))].join('\n');
    for (const rule of await this.rules()) if (toJsRegex(rule.pattern).test(haystack)) return rule.priority;
    return 'medium';
  }
}
