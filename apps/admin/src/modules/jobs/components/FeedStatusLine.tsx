import { feedStatusText, type FeedStatus } from '../types/progressFeed';

/** One line saying whether what is on screen moves by itself. */
export function FeedStatusLine({ status }: { status: FeedStatus }) {
  const tone = status === 'live' ? 'live' : status === 'connecting' || status === 'reconnecting' ? 'pending' : 'off';
  return (
    <p className={`feed-status feed-status--${tone} small`} role="status">
      <span className="feed-status__dot" aria-hidden="true" />
      {feedStatusText(status)}
    </p>
  );
}
