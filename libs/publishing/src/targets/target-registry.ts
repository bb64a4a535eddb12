// Which PublishTarget serves each endpoint type in this installation. Every outbound target gets the
// SSRF-guarded fetch; adding a destination is one line in `publishTargets`.
import type { EndpointType } from '@margin/contracts';
import { AppConfig, Clock, guardedFetch, OutboundPolicy } from '@margin/core';
import { BlogTarget } from './blog.target';
import { BlueskyTarget } from './bluesky.target';
import { GhostTarget } from './ghost.target';
import type { PublishTarget } from './publish-target';
import { StrapiTarget } from './strapi.target';
import { WebhookTarget } from './webhook.target';
import { WordPressTarget } from './wordpress.target';

/** Injection token: ReadonlyMap<EndpointType, PublishTarget>. */
export const PUBLISH_TARGETS = Symbol('PUBLISH_TARGETS');
export type PublishTargets = ReadonlyMap<EndpointType, PublishTarget>;

/** Types whose platform holds a post for `scheduledAt` itself (WordPress `future`, Ghost `scheduled`); others get a delayed queue entry. */
export const NATIVE_SCHEDULING: ReadonlySet<EndpointType> = new Set(['wordpress', 'ghost']);

/** Credential fields each type requires (values encrypted at rest, never returned). */
export const REQUIRED_CREDENTIALS: Readonly<Record<EndpointType, readonly string[]>> = {
  blog: [],
  webhook: ['secret'],
  wordpress: ['username', 'applicationPassword'],
  ghost: ['adminApiKey'],
  bluesky: ['handle', 'appPassword'],
  strapi: ['apiToken'],
};

export function publishTargets(config: AppConfig, outbound: OutboundPolicy, clock: Clock): PublishTargets {
  const fetchFn = guardedFetch(outbound);
  const targets: PublishTarget[] = [
    new BlogTarget(config.publicUrl),
    new WebhookTarget(fetchFn, () => clock.now()),
    new WordPressTarget(fetchFn),
    new GhostTarget(fetchFn),
    new BlueskyTarget(fetchFn),
    new StrapiTarget(fetchFn),
  ];
  return new Map(targets.map((t) => [t.type, t]));
}

export const PUBLISH_TARGETS_PROVIDER = {
  provide: PUBLISH_TARGETS,
  inject: [AppConfig, OutboundPolicy, Clock],
  useFactory: publishTargets,
};
