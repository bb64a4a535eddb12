import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { PolicyCell } from '@margin/contracts';
import { DataSource, IsNull, Repository } from 'typeorm';
import { RoutingPolicyEntity } from './routing-policy.entity';

@Injectable()
export class RoutingPolicyRepository {
  constructor(
    @InjectRepository(RoutingPolicyEntity) private readonly policies: Repository<RoutingPolicyEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Every cell, global and per tenant (the matrix is small; every process keeps it in memory). */
  listAll(): Promise<RoutingPolicyEntity[]> {
    return this.policies.find({ order: { operation: 'ASC', complexity: 'ASC' } });
  }

  /** Upserts the given cells of one scope (tenant null: global), in one transaction; empty candidates remove a tenant override. */
  async apply(tenantId: string | null, cells: PolicyCell[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(RoutingPolicyEntity);
      for (const cell of cells) {
        const where = { tenantId: tenantId ?? IsNull(), operation: cell.operation, complexity: cell.complexity };
        if (cell.candidates.length === 0) {
          await repo.delete(where);
          continue;
        }
        const row = {
          candidates: cell.candidates,
          abChallenger: cell.abTest?.challenger ?? null,
          abShare: cell.abTest ? cell.abTest.share.toFixed(3) : null,
        };
        const existing = await repo.findOneBy(where);
        if (existing) await repo.update({ id: existing.id }, row);
        else await repo.insert({ tenantId, operation: cell.operation, complexity: cell.complexity, ...row });
      }
    });
  }
}
