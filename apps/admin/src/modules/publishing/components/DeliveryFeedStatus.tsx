import type { FeedStatus } from '../../jobs/types/progressFeed';
import { deliveryFeedText } from '../types/deliveryFeed';

/** One line saying whether delivery statuses on screen move by themselves. */
export function DeliveryFeedStatus({ status }: { status: FeedStatus }) {
  const tone = status === 'live' ? 'live' : status === 'connecting' || status === 'reconnecting' ? 'pending' : 'off';
  return (
    <p className={`feed-status feed-status--${tone} small`} role="status">
      <span className="feed-status__dot" aria-hidden="true" />
      {deliveryFeedText(status)}
    </p>
  );
}
