import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { DeliveryEngagement, PostStatus } from '@margin/contracts';
import { isUniqueViolation } from '@margin/core';
import { Repository } from 'typeorm';
import { PostEntity } from './post.entity';

export type NewPost = Pick<
  PostEntity,
  'title' | 'content' | 'excerpt' | 'slug' | 'tags' | 'featuredImageUrl' | 'canonicalUrl' | 'status' | 'sourceItemId' | 'sourceJobId'
>;
export type PostPatch = Partial<Pick<PostEntity, 'title' | 'content' | 'excerpt' | 'slug' | 'tags' | 'featuredImageUrl' | 'canonicalUrl' | 'status'>>;

export class PostSlugTakenError extends Error {}
export class PostSourceTakenError extends Error {}

function uniqueAsError(err: unknown): never {
  if (isUniqueViolation(err, 'posts_slug')) throw new PostSlugTakenError();
  if (isUniqueViolation(err, 'posts_source_item')) throw new PostSourceTakenError();
  throw err;
}

@Injectable()
export class PostsRepository {
  constructor(@InjectRepository(PostEntity) private readonly posts: Repository<PostEntity>) {}

  /** Throws PostSlugTakenError / PostSourceTakenError when the tenant has that slug / a post of that item. */
  async create(tenantId: string, post: NewPost, at: Date): Promise<PostEntity> {
    try {
      return await this.posts.save(
        this.posts.create({ ...post, tenantId, conflict: false, engagement: null, publishedAt: null, createdAt: at, updatedAt: at }),
      );
    } catch (err) {
      uniqueAsError(err);
    }
  }

  list(tenantId: string, options: { status?: PostStatus; limit: number }): Promise<PostEntity[]> {
    const qb = this.posts.createQueryBuilder('p').where('p.tenant_id = :tenantId', { tenantId });
    if (options.status) qb.andWhere('p.status = :status', { status: options.status });
    return qb.orderBy('p.created_at', 'DESC').addOrderBy('p.id', 'DESC').limit(options.limit).getMany();
  }

  find(tenantId: string, id: string): Promise<PostEntity | null> {
    return this.posts.findOneBy({ tenantId, id });
  }

  findBySourceItem(tenantId: string, itemId: string): Promise<PostEntity | null> {
    return this.posts.findOneBy({ tenantId, sourceItemId: itemId });
  }

  async slugTaken(tenantId: string, slug: string): Promise<boolean> {
    return (await this.posts.countBy({ tenantId, slug })) > 0;
  }

  async update(tenantId: string, id: string, patch: PostPatch, at: Date): Promise<PostEntity | null> {
    try {
      await this.posts.update({ tenantId, id }, { ...patch, updatedAt: at });
    } catch (err) {
      uniqueAsError(err);
    }
    return this.find(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    return ((await this.posts.delete({ tenantId, id })).affected ?? 0) > 0;
  }

  /** A delivery went out: the post counts as published (its first time kept); scheduled ones say so until then. */
  async markDelivered(tenantId: string, id: string, status: 'published' | 'scheduled', at: Date): Promise<void> {
    await this.posts
      .createQueryBuilder()
      .update()
      .set({
        status: () => (status === 'published' ? `'published'` : `CASE WHEN status = 'published' THEN status ELSE 'scheduled' END`),
        publishedAt: () => (status === 'published' ? `coalesce(published_at, :at)` : 'published_at'),
        updatedAt: at,
      })
      .where('tenant_id = :tenantId AND id = :id AND status <> :archived', { tenantId, id, archived: 'archived', at })
      .execute();
  }

  /** A scheduled post whose last scheduled delivery was taken back is a draft again. */
  async unscheduled(tenantId: string, id: string, at: Date): Promise<void> {
    await this.posts.query(
      `UPDATE posts SET status = 'draft', updated_at = $3
       WHERE tenant_id = $1 AND id = $2 AND status = 'scheduled'
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = $1 AND d.post_id = $2 AND d.status = 'scheduled')`,
      [tenantId, id, at],
    );
  }

  async setSyncState(tenantId: string, id: string, state: { conflict: boolean; engagement: DeliveryEngagement | null }): Promise<void> {
    await this.posts.update({ tenantId, id }, { conflict: state.conflict, engagement: state.engagement });
  }

  /** The posts on a tenant's own blog: delivered (published) to its blog endpoint, newest first. */
  listOnBlog(tenantId: string, endpointId: string, limit: number): Promise<PostEntity[]> {
    return this.onBlog(tenantId, endpointId).orderBy('d.published_at', 'DESC').addOrderBy('p.id', 'DESC').limit(limit).getMany();
  }

  findOnBlog(tenantId: string, endpointId: string, slug: string): Promise<PostEntity | null> {
    return this.onBlog(tenantId, endpointId).andWhere('p.slug = :slug', { slug }).getOne();
  }

  private onBlog(tenantId: string, endpointId: string) {
    return this.posts
      .createQueryBuilder('p')
      .innerJoin('deliveries', 'd', 'd.post_id = p.id AND d.tenant_id = p.tenant_id')
      .where('p.tenant_id = :tenantId AND d.endpoint_id = :endpointId AND d.status = :published AND p.status <> :archived', {
        tenantId,
        endpointId,
        published: 'published',
        archived: 'archived',
      });
  }
}
