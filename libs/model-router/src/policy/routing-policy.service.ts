import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Complexity, PolicyCell, RoutingPolicyView, UpdatePolicyRequest } from '@margin/contracts';
import { AppConfig, ChangeFeed, DomainError, ForbiddenError } from '@margin/core';
import { CatalogService } from '../catalog/catalog.service';
import type { RoutingPolicyEntity } from './routing-policy.entity';
import { RoutingPolicyRepository } from './routing-policy.repository';

const TOPIC = 'routing-policy';

export class InvalidPolicyError extends DomainError {
  readonly code = 'invalid_policy';
  readonly httpStatus = 422;
}

export class UnknownOperationError extends DomainError {
  readonly code = 'unknown_operation';
  readonly httpStatus = 422;
  constructor(operation: string, complexity: Complexity) {
    super(`No routing policy for operation "${operation}" at complexity "${complexity}"`);
  }
}

function toCell(e: RoutingPolicyEntity): PolicyCell {
  return {
    operation: e.operation,
    complexity: e.complexity,
    candidates: e.candidates,
    abTest: e.abChallenger && e.abShare !== null ? { challenger: e.abChallenger, share: Number(e.abShare) } : null,
  };
}

const cellKey = (operation: string, complexity: string) => `${operation}|${complexity}`;

/** The routing matrix, in memory in every process, refreshed on change. */
@Injectable()
export class RoutingPolicyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RoutingPolicyService.name);
  private global = new Map<string, PolicyCell>();
  private tenants = new Map<string, Map<string, PolicyCell>>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repo: RoutingPolicyRepository,
    private readonly catalog: CatalogService,
    private readonly changes: ChangeFeed,
    private readonly config: AppConfig,
  ) {}

  /** Configured counterfactual models the catalog does not know, warned about once each. */
  private readonly unknownCounterfactuals = new Set<string>();

  async onModuleInit(): Promise<void> {
    await this.reload();
    await this.changes.subscribe(TOPIC, () => void this.reload().catch((err: Error) => this.logger.error(`reload failed: ${err.message}`)));
    this.timer = setInterval(() => void this.reload().catch(() => undefined), 30_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reload(): Promise<void> {
    const rows = await this.repo.listAll();
    const global = new Map<string, PolicyCell>();
    const tenants = new Map<string, Map<string, PolicyCell>>();
    for (const row of rows) {
      const cell = toCell(row);
      if (row.tenantId === null) global.set(cellKey(cell.operation, cell.complexity), cell);
      else {
        const map = tenants.get(row.tenantId) ?? new Map<string, PolicyCell>();
        map.set(cellKey(cell.operation, cell.complexity), cell);
        tenants.set(row.tenantId, map);
      }
    }
    this.global = global;
    this.tenants = tenants;
  }

  /** The cell that applies to a tenant: its override, else the global cell. */
  cell(tenantId: string, operation: string, complexity: Complexity): PolicyCell {
    const key = cellKey(operation, complexity);
    const cell = this.tenants.get(tenantId)?.get(key) ?? this.global.get(key);
    if (!cell) throw new UnknownOperationError(operation, complexity);
    return cell;
  }

  /**
   * The model savings are measured against for an operation (docs/metrics.md, "Savings"): the one configured in
   * SAVINGS_COUNTERFACTUAL_MODEL (for this operation, else for all), else the first premium-tier candidate of the
   * operation's cells (complex, then medium, then simple) in the tenant's policy, then in the global policy (a
   * tenant that routes everything locally is measured against what Margin would otherwise use), else the first
   * cloud candidate of the complex cell; null when there is none (no saving is claimed).
   */
  premiumCounterfactual(tenantId: string, operation: string): string | null {
    const configured = this.config.savingsCounterfactual.byOperation[operation] ?? this.config.savingsCounterfactual.default;
    if (configured) {
      if (this.catalog.model(configured)) return configured;
      if (!this.unknownCounterfactuals.has(configured)) {
        this.unknownCounterfactuals.add(configured);
        this.logger.error(`SAVINGS_COUNTERFACTUAL_MODEL names "${configured}", which is not in the model catalog: using the policy's premium candidate`);
      }
    }
    const complexities: Complexity[] = ['complex', 'medium', 'simple'];
    const effective = complexities.map((c) => this.tenants.get(tenantId)?.get(cellKey(operation, c)) ?? this.global.get(cellKey(operation, c)));
    const global = complexities.map((c) => this.global.get(cellKey(operation, c)));
    for (const cell of [...effective, ...global]) {
      const premium = cell?.candidates.find((id) => this.catalog.model(id)?.tier === 'premium');
      if (premium) return premium;
    }
    const tier = (id: string) => this.catalog.model(id)?.tier;
    return effective[0]?.candidates.find((id) => tier(id) !== undefined && tier(id) !== 'local') ?? null;
  }

  view(tenantId: string): RoutingPolicyView {
    const global = [...this.global.values()];
    const tenant = [...(this.tenants.get(tenantId)?.values() ?? [])];
    const overrides = new Map(tenant.map((c) => [cellKey(c.operation, c.complexity), c]));
    const effective = global.map((c) => overrides.get(cellKey(c.operation, c.complexity)) ?? c);
    for (const c of tenant) if (!this.global.has(cellKey(c.operation, c.complexity))) effective.push(c);
    return { global, tenant, effective };
  }

  async update(tenantId: string, operator: boolean, input: UpdatePolicyRequest): Promise<RoutingPolicyView> {
    if (input.scope === 'global' && !operator) throw new ForbiddenError('Only the operator tenant can change the global routing policy');
    const problems: string[] = [];
    input.cells.forEach((cell, i) => {
      if (input.scope === 'global' && cell.candidates.length === 0) problems.push(`cells.${i}.candidates must not be empty for the global policy`);
      for (const id of [...cell.candidates, ...(cell.abTest ? [cell.abTest.challenger] : [])]) {
        if (!this.catalog.model(id)) problems.push(`cells.${i}: unknown model "${id}"`);
      }
    });
    if (problems.length) throw new InvalidPolicyError(problems.join('; '));
    await this.repo.apply(input.scope === 'global' ? null : tenantId, input.cells);
    this.logger.log({ tenantId, scope: input.scope, cells: input.cells.length }, 'Routing policy updated');
    await this.reload();
    await this.changes.publish(TOPIC);
    return this.view(tenantId);
  }
}
