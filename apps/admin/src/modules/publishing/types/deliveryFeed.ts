import type { FeedStatus } from '../../jobs/types/progressFeed';

export function deliveryFeedText(status: FeedStatus): string {
  switch (status) {
    case 'off':
      return 'Live updates are off.';
    case 'connecting':
      return 'Connecting to live updates…';
    case 'live':
      return 'Live: delivery statuses update as they change.';
    case 'reconnecting':
      return 'Connection lost; reconnecting to live updates…';
    case 'unauthorized':
      return 'Live updates refused your session. Sign in again to see deliveries as they happen.';
    case 'not-found':
    case 'unavailable':
      return 'Live updates are unavailable right now; reload the page to try again.';
  }
}
