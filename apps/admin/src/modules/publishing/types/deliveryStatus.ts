import type { DeliveryStatus, DeliveryView, PostStatus } from '@margin/contracts';
import type { BadgeTone } from '../../../shared/components/Badge';

const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  pending: 'Pending',
  scheduled: 'Scheduled',
  publishing: 'Publishing',
  published: 'Published',
  failed: 'Failed',
  cancelled: 'Unscheduled',
};

const DELIVERY_TONES: Record<DeliveryStatus, BadgeTone> = {
  pending: 'neutral',
  scheduled: 'accent',
  publishing: 'warning',
  published: 'success',
  failed: 'danger',
  cancelled: 'neutral',
};

const POST_LABELS: Record<PostStatus, string> = {
  draft: 'Draft',
  scheduled: 'Scheduled',
  published: 'Published',
  archived: 'Archived',
};

const POST_TONES: Record<PostStatus, BadgeTone> = {
  draft: 'neutral',
  scheduled: 'accent',
  published: 'success',
  archived: 'warning',
};

export const deliveryStatusLabel = (status: DeliveryStatus) => DELIVERY_LABELS[status];
export const deliveryStatusTone = (status: DeliveryStatus) => DELIVERY_TONES[status];
export const postStatusLabel = (status: PostStatus) => POST_LABELS[status];
export const postStatusTone = (status: PostStatus) => POST_TONES[status];

export function conflictLabel(conflict: NonNullable<DeliveryView['conflict']>): string {
  return conflict === 'edited' ? 'Edited on the platform' : 'Deleted on the platform';
}

/**
 * A failed delivery, or one waiting out its backoff after a failed attempt, can be sent again now; the others are
 * queued, moving or done (publishing again updates those).
 */
export function canRetry(delivery: DeliveryView): boolean {
  return delivery.status === 'failed' || (delivery.status === 'pending' && delivery.attempts > 0);
}
