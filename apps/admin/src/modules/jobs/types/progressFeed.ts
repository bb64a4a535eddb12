import type { JobCounters } from '@margin/contracts';

// The progress feed's acknowledgement of `subscribe` (the API keeps this type in its own lib, not in contracts).
export type SubscribeAck = { ok: true; job?: JobCounters } | { ok: false; error: string };

/** What the live feed is doing, for the small status line next to live data. */
export type FeedStatus = 'off' | 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'not-found' | 'unavailable';

export function feedStatusText(status: FeedStatus): string {
  switch (status) {
    case 'off':
      return 'Live updates are off.';
    case 'connecting':
      return 'Connecting to live updates…';
    case 'live':
      return 'Live: updates as items finish.';
    case 'reconnecting':
      return 'Connection lost; reconnecting to live updates…';
    case 'unauthorized':
      return 'Live updates refused your session. Sign in again to see progress as it happens.';
    case 'not-found':
      return 'Live updates are not available for this job.';
    case 'unavailable':
      return 'Live updates are unavailable right now; reload the page to try again.';
  }
}
