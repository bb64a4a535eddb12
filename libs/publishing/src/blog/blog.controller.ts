import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@margin/identity';
import { BlogService } from './blog.service';

/** Public pages change when a post is published; a minute of caching is enough for readers and feed readers. */
const CACHE = 'public, max-age=60';

/** The own blog, outside /api/v1 (see configure-app.ts) and outside the SPA fallback. */
@ApiTags('blog')
@Public()
@Controller('blog')
export class BlogController {
  constructor(private readonly blog: BlogService) {}

  @Get(':blogSlug/feed.xml')
  @Header('Content-Type', 'application/rss+xml; charset=utf-8')
  @Header('Cache-Control', CACHE)
  @ApiOperation({ summary: "RSS 2.0 feed of a tenant's blog" })
  @ApiProduces('application/rss+xml')
  @ApiOkResponse({ type: String })
  rss(@Param('blogSlug') blogSlug: string): Promise<string> {
    return this.blog.feed(blogSlug, 'rss');
  }

  @Get(':blogSlug/feed.atom')
  @Header('Content-Type', 'application/atom+xml; charset=utf-8')
  @Header('Cache-Control', CACHE)
  @ApiProduces('application/atom+xml')
  @ApiOkResponse({ type: String })
  atom(@Param('blogSlug') blogSlug: string): Promise<string> {
    return this.blog.feed(blogSlug, 'atom');
  }

  @Get(':blogSlug/feed.json')
  @Header('Content-Type', 'application/feed+json; charset=utf-8')
  @Header('Cache-Control', CACHE)
  @ApiProduces('application/feed+json')
  @ApiOkResponse({ type: String })
  json(@Param('blogSlug') blogSlug: string): Promise<string> {
    return this.blog.feed(blogSlug, 'json');
  }

  @Get(':blogSlug')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', CACHE)
  @ApiOperation({ summary: "A tenant's blog: its published posts" })
  @ApiProduces('text/html')
  @ApiOkResponse({ type: String })
  index(@Param('blogSlug') blogSlug: string): Promise<string> {
    return this.blog.index(blogSlug);
  }

  @Get(':blogSlug/:postSlug')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', CACHE)
  @ApiProduces('text/html')
  @ApiOkResponse({ type: String })
  post(@Param('blogSlug') blogSlug: string, @Param('postSlug') postSlug: string): Promise<string> {
    return this.blog.post(blogSlug, postSlug);
  }
}
