import { Injectable } from '@nestjs/common';
import type { Priority } from '@margin/contracts';
import { DomainError, unsafePatternProblem } from '@margin/core';
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
@Injectable()
export class PriorityService {
  constructor(private readonly repo: PriorityRuleRepository) {}

  rules(): Promise<PriorityRule[]> {
    return this.repo.list();
  }

  async replace(rules: PriorityRule[]): Promise<PriorityRule[]> {
    // rules run on every submission's name and metadata: a pattern that can backtrack for ever is refused
    const verdicts = await Promise.all(rules.map((r) => unsafePatternProblem(r.pattern.replace(/\\[mM]/g, '\\b'), 'i')));
    verdicts.forEach((why, i) => {
      if (why) throw new InvalidPriorityRuleError(`rules.${i}.pattern ${why}`);
    });
    await this.repo.replace(rules);
    return this.rules();
  }

  async resolve(requested: Priority | 'auto' | undefined, name: string | null | undefined, metadata: Record<string, unknown> | null | undefined): Promise<Priority> {
    if (requested && requested !== 'auto') return requested;
    const haystack = [name ?? '', ...Object.values(metadata ?? {}).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))].join('\n');
    for (const rule of await this.rules()) if (toJsRegex(rule.pattern).test(haystack)) return rule.priority;
    return 'medium';
  }
}
