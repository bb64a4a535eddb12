// Margin's own blog: publishing a post there makes it visible on the tenant's public pages and feeds (the
// pages list the posts whose delivery to the blog endpoint is `published`). Nothing leaves the process.
import type { PublishRequest, PublishTarget, RemoteCopy, RemoteState, TargetEndpoint, TargetPost, TestResult } from './publish-target';

/** /blog/<slug> of an installation reachable at `publicUrl`. */
export function blogUrl(publicUrl: string, blogSlug: string): string {
  return `${publicUrl}/blog/${encodeURIComponent(blogSlug)}`;
}

export function blogPostUrl(publicUrl: string, blogSlug: string, postSlug: string): string {
  return `${blogUrl(publicUrl, blogSlug)}/${encodeURIComponent(postSlug)}`;
}

/** The blog endpoint's slug, which the endpoints service puts in the target's config. */
export function blogSlugOf(endpoint: TargetEndpoint): string {
  const slug = endpoint.config['publicSlug'];
  if (typeof slug !== 'string' || !slug) throw new Error(`blog endpoint ${endpoint.id} has no public slug`);
  return slug;
}

export class BlogTarget implements PublishTarget {
  readonly type = 'blog' as const;

  constructor(private readonly publicUrl: string) {}

  test(endpoint: TargetEndpoint): Promise<TestResult> {
    return Promise.resolve({ ok: true, detail: `served by Margin at ${blogUrl(this.publicUrl, blogSlugOf(endpoint))}` });
  }

  /** The post is its own remote copy: once the delivery says published, it is on the blog. */
  find(endpoint: TargetEndpoint, post: TargetPost): Promise<RemoteCopy | null> {
    return Promise.resolve({ remoteId: post.id, remoteUrl: blogPostUrl(this.publicUrl, blogSlugOf(endpoint), post.slug), state: 'published' });
  }

  publish(endpoint: TargetEndpoint, post: TargetPost, _request: PublishRequest): Promise<RemoteCopy> {
    return Promise.resolve({ remoteId: post.id, remoteUrl: blogPostUrl(this.publicUrl, blogSlugOf(endpoint), post.slug), state: 'published' });
  }

  /** Nobody edits the own blog behind Margin's back: the post is the copy. */
  read(): Promise<RemoteState> {
    return Promise.resolve({ exists: true, state: 'published' });
  }
}
