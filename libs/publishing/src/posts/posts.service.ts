import { Injectable } from '@nestjs/common';
import type { CreatePostRequest, PostStatus, PostView, UpdatePostRequest } from '@margin/contracts';
import { JobsRepository, PUBLISHABLE_PROFILE } from '@margin/analysis';
import { Clock, ConflictError, NotFoundError } from '@margin/core';
import { PublishingInputError } from '../publishing.errors';
import { SLUG_PATTERN, slugify } from '../slug';
import { toPostView } from '../views';
import type { PostEntity } from './post.entity';
import { PostSlugTakenError, PostSourceTakenError, PostsRepository, type NewPost } from './posts.repository';

/** What a blog-post item's output gives a post. */
interface BlogPostOutput {
  title: string;
  slug?: string;
  excerpt?: string;
  content: string;
}

function asBlogPost(result: unknown): BlogPostOutput | null {
  if (typeof result !== 'object' || result === null) return null;
  const r = result as Record<string, unknown>;
  if (typeof r['title'] !== 'string' || !r['title'] || typeof r['content'] !== 'string' || !r['content']) return null;
  return {
    title: r['title'].slice(0, 300),
    content: r['content'],
    slug: typeof r['slug'] === 'string' ? r['slug'] : undefined,
    excerpt: typeof r['excerpt'] === 'string' ? r['excerpt'].slice(0, 1000) : undefined,
  };
}

@Injectable()
export class PostsService {
  constructor(
    private readonly repo: PostsRepository,
    private readonly jobs: JobsRepository,
    private readonly clock: Clock,
  ) {}

  async list(tenantId: string, q: { status?: PostStatus; limit?: number }): Promise<PostView[]> {
    return (await this.repo.list(tenantId, { status: q.status, limit: q.limit ?? 50 })).map(toPostView);
  }

  async get(tenantId: string, id: string): Promise<PostView> {
    return toPostView(await this.entity(tenantId, id));
  }

  async entity(tenantId: string, id: string): Promise<PostEntity> {
    const post = await this.repo.find(tenantId, id);
    if (!post) throw new NotFoundError('Post');
    return post;
  }

  async create(tenantId: string, req: CreatePostRequest): Promise<PostView> {
    let fromItem: { output: BlogPostOutput; itemId: string; jobId: string } | null = null;
    if (req.fromItemId) fromItem = await this.itemOutput(tenantId, req.fromItemId);
    const title = req.title ?? fromItem?.output.title;
    const content = req.content ?? fromItem?.output.content;
    if (!title) throw new PublishingInputError('title is required');
    if (!content) throw new PublishingInputError('content is required');
    const explicitSlug = req.slug !== undefined;
    const post: NewPost = {
      title,
      content,
      excerpt: req.excerpt ?? fromItem?.output.excerpt ?? null,
      slug: req.slug ?? this.slugFrom(fromItem?.output.slug, title),
      tags: req.tags ?? [],
      featuredImageUrl: req.featuredImageUrl ?? null,
      canonicalUrl: req.canonicalUrl ?? null,
      status: 'draft',
      sourceItemId: fromItem?.itemId ?? null,
      sourceJobId: fromItem?.jobId ?? null,
    };
    return toPostView(await this.insert(tenantId, post, explicitSlug));
  }

  /**
   * The post made from a completed blog-post item (the job `publish` option's path): the existing one when the
   * item already became a post, so a replayed completion never makes two.
   */
  async fromCompletedItem(tenantId: string, itemId: string): Promise<PostEntity> {
    const existing = await this.repo.findBySourceItem(tenantId, itemId);
    if (existing) return existing;
    const { output, jobId } = await this.itemOutput(tenantId, itemId);
    const post: NewPost = {
      title: output.title,
      content: output.content,
      excerpt: output.excerpt ?? null,
      slug: this.slugFrom(output.slug, output.title),
      tags: [],
      featuredImageUrl: null,
      canonicalUrl: null,
      status: 'draft',
      sourceItemId: itemId,
      sourceJobId: jobId,
    };
    try {
      return await this.insert(tenantId, post, false);
    } catch (err) {
      if (err instanceof ConflictError) {
        const raced = await this.repo.findBySourceItem(tenantId, itemId);
        if (raced) return raced;
      }
      throw err;
    }
  }

  async update(tenantId: string, id: string, req: UpdatePostRequest): Promise<PostView> {
    await this.entity(tenantId, id);
    try {
      const updated = await this.repo.update(tenantId, id, { ...req }, this.clock.now());
      if (!updated) throw new NotFoundError('Post');
      return toPostView(updated);
    } catch (err) {
      if (err instanceof PostSlugTakenError) throw new ConflictError('slug is taken by another post of this tenant');
      throw err;
    }
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(tenantId, id))) throw new NotFoundError('Post');
  }

  private slugFrom(suggested: string | undefined, title: string): string {
    if (suggested && SLUG_PATTERN.test(suggested) && suggested.length <= 100) return suggested;
    return slugify(title) || 'post';
  }

  /** Inserts; a slug chosen by Margin that is taken gets -2, -3, … ; one the caller chose is a 409. */
  private async insert(tenantId: string, post: NewPost, explicitSlug: boolean): Promise<PostEntity> {
    const base = post.slug;
    for (let n = 1; n <= 20; n++) {
      const slug = n === 1 ? base : `${base.slice(0, 95)}-${n}`;
      try {
        return await this.repo.create(tenantId, { ...post, slug }, this.clock.now());
      } catch (err) {
        if (err instanceof PostSourceTakenError) throw new ConflictError('fromItemId: this item already became a post');
        if (!(err instanceof PostSlugTakenError)) throw err;
        if (explicitSlug) throw new ConflictError('slug is taken by another post of this tenant');
      }
    }
    throw new ConflictError('slug: no free variant of this slug (tried 20)');
  }

  private async itemOutput(tenantId: string, itemId: string): Promise<{ output: BlogPostOutput; itemId: string; jobId: string }> {
    const found = await this.jobs.findItemWithProfile(tenantId, itemId);
    if (!found) throw new NotFoundError('Item');
    if (found.profileKey !== PUBLISHABLE_PROFILE)
      throw new PublishingInputError(`fromItemId must be an item of a ${PUBLISHABLE_PROFILE} job (it is ${found.profileKey})`);
    if (found.item.status !== 'completed') throw new PublishingInputError(`fromItemId: the item is ${found.item.status}, not completed`);
    const output = asBlogPost(found.item.result);
    if (!output) throw new PublishingInputError('fromItemId: the item has no title and content to copy');
    return { output, itemId, jobId: found.item.jobId };
  }
}
