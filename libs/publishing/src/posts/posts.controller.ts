import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { DeliveryView, PostView, PublishResponse } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { PublishService } from '../deliveries/publish.service';
import { CreatePostDto, DeliveryDto, ListPostsQueryDto, PostDto, PublishPostDto, PublishResponseDto, UpdatePostDto } from './posts.dto';
import { PostsService } from './posts.service';

@ApiTags('publishing')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class PostsController {
  constructor(
    private readonly posts: PostsService,
    private readonly publisher: PublishService,
  ) {}

  @Get('posts')
  @ApiOperation({ summary: "The tenant's posts, newest first" })
  @ApiOkResponse({ type: PostDto, isArray: true })
  list(@CurrentPrincipal() principal: Principal, @Query() q: ListPostsQueryDto): Promise<PostView[]> {
    return this.posts.list(principal.tenantId, q);
  }

  // whoever may create jobs may write posts
  @Post('posts')
  @MinRole('member')
  @ApiOperation({ summary: 'Write a post, or make one from a completed blog-post item ({fromItemId})' })
  @ApiCreatedResponse({ type: PostDto })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreatePostDto): Promise<PostView> {
    return this.posts.create(principal.tenantId, body);
  }

  @Get('posts/:id')
  @ApiOkResponse({ type: PostDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<PostView> {
    return this.posts.get(principal.tenantId, id);
  }

  @Patch('posts/:id')
  @MinRole('member')
  @ApiOperation({ summary: 'Edit a post (publish again to update its remote copies)' })
  @ApiOkResponse({ type: PostDto })
  update(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdatePostDto): Promise<PostView> {
    return this.posts.update(principal.tenantId, id, body);
  }

  @Delete('posts/:id')
  @MinRole('member')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a post and its deliveries (remote copies stay where they are; the own blog drops it)' })
  @ApiNoContentResponse()
  remove(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    return this.posts.remove(principal.tenantId, id);
  }

  @Post('posts/:id/publish')
  @MinRole('member')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Publish (or re-publish: the same remote copies are updated) to endpoints, now or at scheduledAt; 409 over a remote conflict unless force',
  })
  @ApiAcceptedResponse({ type: PublishResponseDto })
  publish(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: PublishPostDto): Promise<PublishResponse> {
    return this.publisher.publish(principal.tenantId, id, body);
  }

  @Get('posts/:id/deliveries')
  @ApiOperation({ summary: 'Where the post went: one delivery per endpoint, with its status' })
  @ApiOkResponse({ type: DeliveryDto, isArray: true })
  deliveries(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<DeliveryView[]> {
    return this.publisher.listDeliveries(principal.tenantId, id);
  }

  @Post('deliveries/:id/retry')
  @MinRole('member')
  @HttpCode(202)
  @ApiOperation({ summary: 'Try a failed delivery again now, with a fresh count of attempts' })
  @ApiAcceptedResponse({ type: DeliveryDto })
  retry(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<DeliveryView> {
    return this.publisher.retry(principal.tenantId, id);
  }

  @Post('deliveries/:id/unschedule')
  @MinRole('member')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take a scheduled delivery back before it goes out (the platform’s scheduled copy becomes a draft); publish again to reschedule' })
  @ApiOkResponse({ type: DeliveryDto })
  unschedule(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<DeliveryView> {
    return this.publisher.unschedule(principal.tenantId, id);
  }
}
