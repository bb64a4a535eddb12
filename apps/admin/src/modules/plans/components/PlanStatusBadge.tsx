import type { RequestPlanStatus } from '@margin/contracts';
import { Badge } from '../../../shared/components/Badge';
import { planStatusLabel, planStatusTone } from '../types/planStatus';

export function PlanStatusBadge({ status }: { status: RequestPlanStatus }) {
  return <Badge tone={planStatusTone(status)}>{planStatusLabel(status)}</Badge>;
}
