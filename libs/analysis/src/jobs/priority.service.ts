import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Priority } from '@margin/contracts';
import { DomainError } from '@margin/core';
import type { DataSource } from 'typeorm';

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
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async rules(): Promise<PriorityRule[]> {
    return (await this.db.query(`SELECT pattern, priority FROM priority_rules ORDER BY position`)) as PriorityRule[];
  }

  async replace(rules: PriorityRule[]): Promise<PriorityRule[]> {
    rules.forEach((r, i) => {
      try {
        toJsRegex(r.pattern);
      } catch {
        throw new InvalidPriorityRuleError(`rules.${i}.pattern is not a valid regular expression`);
      }
    });
    await this.db.transaction(async (m) => {
      await m.query(`DELETE FROM priority_rules`);
      for (const [i, r] of rules.entries()) await m.query(`INSERT INTO priority_rules (position, pattern, priority) VALUES ($1, $2, $3)`, [i + 1, r.pattern, r.priority]);
    });
    return this.rules();
  }

  async resolve(requested: Priority | 'auto' | undefined, name: string | null | undefined, metadata: Record<string, unknown> | null | undefined): Promise<Priority> {
    if (requested && requested !== 'auto') return requested;
    const haystack = [name ?? '', ...Object.values(metadata ?? {}).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))].join('\n');
    for (const rule of await this.rules()) if (toJsRegex(rule.pattern).test(haystack)) return rule.priority;
    return 'medium';
  }
}
