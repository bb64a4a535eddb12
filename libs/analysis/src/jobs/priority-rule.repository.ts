import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Priority } from '@margin/contracts';
import type { DataSource } from 'typeorm';

/** The installation's `auto` priority rules, in order. */
@Injectable()
export class PriorityRuleRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  list(): Promise<Array<{ pattern: string; priority: Priority }>> {
    return this.db.query(`SELECT pattern, priority FROM priority_rules ORDER BY position`) as Promise<Array<{ pattern: string; priority: Priority }>>;
  }

  async replace(rules: Array<{ pattern: string; priority: Priority }>): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(`DELETE FROM priority_rules`);
      for (const [i, r] of rules.entries())
        await m.query(`INSERT INTO priority_rules (position, pattern, priority) VALUES ($1, $2, $3)`, [i + 1, r.pattern, r.priority]);
    });
  }
}
