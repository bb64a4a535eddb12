import type { RequestPlanStatus, RequestPlanView } from '@margin/contracts';
import type { BadgeTone } from '../../../shared/components/Badge';

const LABELS: Record<RequestPlanStatus, string> = {
  needs_input: 'Needs input',
  proposed: 'Proposed',
  approved: 'Approved, running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const TONES: Record<RequestPlanStatus, BadgeTone> = {
  needs_input: 'warning',
  proposed: 'accent',
  approved: 'accent',
  completed: 'success',
  failed: 'danger',
  cancelled: 'neutral',
};

export function planStatusLabel(status: RequestPlanStatus): string {
  return LABELS[status];
}

export function planStatusTone(status: RequestPlanStatus): BadgeTone {
  return TONES[status];
}

/** Before approval the plan can still be changed (answers, models, budget, deadline). */
export function isEditable(status: RequestPlanStatus): boolean {
  return status === 'needs_input' || status === 'proposed';
}

/** Approved: its job is running, the plan's status and actual cost are still to come. */
export function isRunning(status: RequestPlanStatus): boolean {
  return status === 'approved';
}

/** What the plan is about, in a line: the sentence, else the topic or the profile. */
export function planTitle(plan: RequestPlanView): string {
  return plan.sentence ?? plan.intake.topic ?? plan.profile ?? `Plan ${plan.id.slice(0, 8)}`;
}
