import { Injectable } from '@nestjs/common';
import { AppConfig, NotFoundError } from '@margin/core';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import type { PostEntity } from '../posts/post.entity';
import { PostsRepository } from '../posts/posts.repository';
import { blogUrl } from '../targets/blog.target';
import { renderFeed, renderIndex, renderPost, type BlogInfo, type BlogPostPage, type FeedFormat } from './blog-pages';

const INDEX_SIZE = 50;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The public blog of a tenant: what its blog endpoint published, nothing else. */
@Injectable()
export class BlogService {
  constructor(
    private readonly endpoints: EndpointsRepository,
    private readonly posts: PostsRepository,
    private readonly config: AppConfig,
  ) {}

  async index(blogSlug: string): Promise<string> {
    const { blog, tenantId, endpointId } = await this.blog(blogSlug);
    return renderIndex(blog, (await this.posts.listOnBlog(tenantId, endpointId, INDEX_SIZE)).map(toPage));
  }

  async post(blogSlug: string, postSlug: string): Promise<string> {
    const { blog, tenantId, endpointId } = await this.blog(blogSlug);
    if (!SLUG.test(postSlug) || postSlug.length > 120) throw new NotFoundError('Post');
    const post = await this.posts.findOnBlog(tenantId, endpointId, postSlug);
    if (!post) throw new NotFoundError('Post');
    return renderPost(blog, toPage(post));
  }

  async feed(blogSlug: string, format: FeedFormat): Promise<string> {
    const { blog, tenantId, endpointId } = await this.blog(blogSlug);
    return renderFeed(blog, (await this.posts.listOnBlog(tenantId, endpointId, INDEX_SIZE)).map(toPage), format);
  }

  private async blog(slug: string): Promise<{ blog: BlogInfo; tenantId: string; endpointId: string }> {
    if (!SLUG.test(slug) || slug.length > 60) throw new NotFoundError('Blog');
    const endpoint = await this.endpoints.findBlogBySlug(slug);
    if (!endpoint?.enabled) throw new NotFoundError('Blog');
    return { blog: { title: endpoint.name, url: blogUrl(this.config.publicUrl, slug) }, tenantId: endpoint.tenantId, endpointId: endpoint.id };
  }
}

function toPage(p: PostEntity): BlogPostPage {
  return {
    title: p.title,
    slug: p.slug,
    excerpt: p.excerpt,
    content: p.content,
    tags: p.tags,
    featuredImageUrl: p.featuredImageUrl,
    canonicalUrl: p.canonicalUrl,
    publishedAt: p.publishedAt ?? p.createdAt,
    updatedAt: p.updatedAt,
  };
}
