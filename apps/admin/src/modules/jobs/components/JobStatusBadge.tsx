import type { ItemStatus, JobStatus } from '@margin/contracts';
import { Badge } from '../../../shared/components/Badge';
import { itemStatusLabel, itemStatusTone, jobStatusLabel, jobStatusTone } from '../types/jobState';

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return <Badge tone={jobStatusTone(status)}>{jobStatusLabel(status)}</Badge>;
}

export function ItemStatusBadge({ status }: { status: ItemStatus }) {
  return <Badge tone={itemStatusTone(status)}>{itemStatusLabel(status)}</Badge>;
}
