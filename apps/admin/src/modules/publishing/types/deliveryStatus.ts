import type { DeliveryStatus, DeliveryView, PostStatus } from '@margin/contracts';
import type { BadgeTone } from '../../../shared/components/Badge';

const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  pending: 'Pending',
  scheduled: 'Scheduled',
  publishing: 'Publishing',
  published: 'Published',
  failed: 'Failed',
};

const DELIVERY_TONES: Record<DeliveryStatus, BadgeTone> = {
  pending: 'neutral',
  scheduled: 'accent',
  publishing: 'warning',
  published: 'success',
  failed: 'danger',
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

/** A failed delivery can be sent again by hand; the others are moving or done (re-publish updates those). */
export function canRetry(delivery: DeliveryView): boolean {
  return delivery.status === 'failed';
}
