import { Injectable } from '@nestjs/common';
import { LedgerService } from '@margin/cost-tracking';

export interface AbArmCalls {
  operation: string;
  complexity: string | null;
  arm: 'incumbent' | 'challenger';
  model: string;
  calls: number;
  failures: number;
  costUsd: number;
}

/** How each arm of the policy's A/B splits has done, from the ledger: the router's view for the layers above it. */
@Injectable()
export class AbStatsService {
  constructor(private readonly ledger: LedgerService) {}

  arms(tenantId: string, from: Date, to: Date): Promise<AbArmCalls[]> {
    return this.ledger.armStats(tenantId, from, to);
  }
}
