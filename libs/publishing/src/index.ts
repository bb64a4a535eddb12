import { Publishing1765100000000 } from './migrations/1765100000000-publishing';
import { DeliveryCancelled1765100000300 } from './migrations/1765100000300-delivery-cancelled';

export * from './targets/publish-target';
export * from './format/markdown';
export * from './publishing.module';
export { PUBLISH_TARGETS, NATIVE_SCHEDULING, REQUIRED_CREDENTIALS, publishTargets, type PublishTargets } from './targets/target-registry';
export { WebhookTarget, isPermanentStatus } from './targets/webhook.target';
export { BlogTarget } from './targets/blog.target';
export { WordPressTarget, wordpressMarkerComment } from './targets/wordpress.target';
export { GhostTarget, ghostMarkerTag } from './targets/ghost.target';
export { BlueskyTarget, recordKeyFor } from './targets/bluesky.target';
export { StrapiTarget } from './targets/strapi.target';
export {
  BLUESKY_MAX_GRAPHEMES,
  blueskyFacets,
  blueskyRecord,
  blueskyText,
  graphemeLength,
  hashtagFor,
  truncateGraphemes,
  type BlueskyPostRecord,
} from './format/bluesky';
export { signatureHeader, verifySignature, SIGNATURE_HEADER, DELIVERY_HEADER } from './targets/webhook-signature';
export { nextRetryDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './deliveries/backoff';
export { PublishingSettings, DEFAULT_PUBLISHING_SETTINGS } from './deliveries/publishing-settings';
export { DeliveryRunner } from './deliveries/delivery-runner';
export { DeliverySweeper } from './deliveries/delivery-sweeper';
export { JobPublisher } from './jobs/job-publisher';
export { PublishingFigures, type PublishingFiguresView } from './figures/publishing-figures';

/** Publishing's schema history; apps compose every module's list into one data source. */
export const PUBLISHING_MIGRATIONS = [Publishing1765100000000, DeliveryCancelled1765100000300];
