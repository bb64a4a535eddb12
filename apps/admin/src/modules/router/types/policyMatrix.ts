import { COMPLEXITIES, type Complexity, type PolicyCell, type RoutingPolicyView } from '@margin/contracts';

export interface MatrixCell {
  /** What applies to this tenant. */
  effective: PolicyCell | null;
  global: PolicyCell | null;
  /** This tenant's override, when there is one. */
  override: PolicyCell | null;
}

export interface MatrixRow {
  operation: string;
  cells: Record<Complexity, MatrixCell>;
}

const key = (operation: string, complexity: Complexity): string => `${operation}|${complexity}`;

/** Operation rows (alphabetical) × complexity columns, each cell with its effective, global and override chains. */
export function policyMatrix(policy: RoutingPolicyView): MatrixRow[] {
  const index = (cells: PolicyCell[]) => new Map(cells.map((cell) => [key(cell.operation, cell.complexity), cell]));
  const effective = index(policy.effective);
  const global = index(policy.global);
  const tenant = index(policy.tenant);
  const operations = [...new Set([...policy.global, ...policy.tenant, ...policy.effective].map((c) => c.operation))].sort((a, b) => a.localeCompare(b));
  return operations.map((operation) => ({
    operation,
    cells: Object.fromEntries(
      COMPLEXITIES.map((complexity) => [
        complexity,
        {
          effective: effective.get(key(operation, complexity)) ?? null,
          global: global.get(key(operation, complexity)) ?? null,
          override: tenant.get(key(operation, complexity)) ?? null,
        },
      ]),
    ) as Record<Complexity, MatrixCell>,
  }));
}

export const COMPLEXITY_LABELS: Record<Complexity, string> = {
  simple: 'Simple',
  medium: 'Medium',
  complex: 'Complex',
};
