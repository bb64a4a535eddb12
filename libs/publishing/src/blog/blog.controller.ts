import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@margin/identity';
import type { Response } from 'express';
import { BlogService } from './blog.service';

/** Public pages change when a post is published; a minute of caching is enough for readers and feed readers. */
const CACHE = 'public, max-age=60';

/**
 * The own blog, outside /api/v1 (see configure-app.ts) and outside the SPA fallback. Headers are set once
 * the page is made: an error keeps the API's JSON error shape and is not cached.
 */
@ApiTags('blog')
@Public()
@Controller('blog')
export class BlogController {
  constructor(private readonly blog: BlogService) {}

  @Get(':blogSlug/feed.xml')
  @ApiOperation({ summary: "RSS 2.0 feed of a tenant's blog" })
  @ApiProduces('application/rss+xml')
  @ApiOkResponse({ type: String })
  async rss(@Param('blogSlug') blogSlug: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    return send(res, 'application/rss+xml; charset=utf-8', await this.blog.feed(blogSlug, 'rss'));
  }

  @Get(':blogSlug/feed.atom')
  @ApiOperation({ summary: "Atom feed of a tenant's blog" })
  @ApiProduces('application/atom+xml')
  @ApiOkResponse({ type: String })
  async atom(@Param('blogSlug') blogSlug: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    return send(res, 'application/atom+xml; charset=utf-8', await this.blog.feed(blogSlug, 'atom'));
  }

  @Get(':blogSlug/feed.json')
  @ApiOperation({ summary: "JSON Feed 1.1 of a tenant's blog" })
  @ApiProduces('application/feed+json')
  @ApiOkResponse({ type: String })
  async json(@Param('blogSlug') blogSlug: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    return send(res, 'application/feed+json; charset=utf-8', await this.blog.feed(blogSlug, 'json'));
  }

  @Get(':blogSlug')
  @ApiOperation({ summary: "A tenant's blog: its published posts" })
  @ApiProduces('text/html')
  @ApiOkResponse({ type: String })
  async index(@Param('blogSlug') blogSlug: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    return send(res, 'text/html; charset=utf-8', await this.blog.index(blogSlug));
  }

  @Get(':blogSlug/:postSlug')
  @ApiOperation({ summary: 'One post of a blog' })
  @ApiProduces('text/html')
  @ApiOkResponse({ type: String })
  async post(@Param('blogSlug') blogSlug: string, @Param('postSlug') postSlug: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    return send(res, 'text/html; charset=utf-8', await this.blog.post(blogSlug, postSlug));
  }
}

function send(res: Response, type: string, body: string): string {
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', CACHE);
  return body;
}
