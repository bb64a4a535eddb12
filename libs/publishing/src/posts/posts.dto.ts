import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DELIVERY_STATUSES,
  POST_STATUSES,
  type CreatePostRequest,
  type DeliveryEngagement,
  type DeliveryStatus,
  type DeliveryView,
  type PostStatus,
  type PostView,
  type PublishRequestBody,
  type PublishResponse,
  type UpdatePostRequest,
} from '@margin/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SLUG_MESSAGE = 'slug must be lowercase letters and digits in words joined by hyphens';
const MAX_CONTENT = 200_000;

export class CreatePostDto implements CreatePostRequest {
  @ApiPropertyOptional({ example: 'Why we cache by content hash', description: 'Required unless fromItemId is given' })
  @ValidateIf((o: CreatePostDto) => o.fromItemId === undefined || o.title !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  title?: string;

  @ApiPropertyOptional({ description: 'Markdown; required unless fromItemId is given' })
  @ValidateIf((o: CreatePostDto) => o.fromItemId === undefined || o.content !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_CONTENT)
  content?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) excerpt?: string;

  @ApiPropertyOptional({ example: 'why-we-cache', description: 'Default: from the title' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(SLUG, { message: SLUG_MESSAGE })
  slug?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(30)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(60, { each: true })
  tags?: string[];

  @ApiPropertyOptional() @IsOptional() @IsUrl(URL_OPTIONS) @MaxLength(2000) featuredImageUrl?: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl(URL_OPTIONS) @MaxLength(2000) canonicalUrl?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A completed blog-post item: its title, slug, excerpt and content are copied (fields given here win)' })
  @IsOptional()
  @IsUUID()
  fromItemId?: string;
}

export class UpdatePostDto implements UpdatePostRequest {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(300) title?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(MAX_CONTENT) content?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @ValidateIf((_o, v) => v !== null) @IsString() @MaxLength(1000) excerpt?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(SLUG, { message: SLUG_MESSAGE })
  slug?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(30)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(60, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl(URL_OPTIONS)
  @MaxLength(2000)
  featuredImageUrl?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl(URL_OPTIONS)
  @MaxLength(2000)
  canonicalUrl?: string | null;

  @ApiPropertyOptional({ enum: POST_STATUSES, description: '`archived` takes it off the own blog; publish to change the rest' })
  @IsOptional()
  @IsIn(POST_STATUSES)
  status?: PostStatus;
}

export class ListPostsQueryDto {
  @ApiPropertyOptional({ enum: POST_STATUSES }) @IsOptional() @IsIn(POST_STATUSES) status?: PostStatus;
  @ApiPropertyOptional({ default: 50, maximum: 200 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class PublishPostDto implements PublishRequestBody {
  @ApiProperty({ type: [String], format: 'uuid' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  endpointIds!: string[];

  @ApiPropertyOptional({
    example: '2026-12-24T09:00:00Z',
    description: 'Future time: scheduled (WordPress/Ghost hold it themselves; others wait in the queue)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  scheduledAt?: string;

  @ApiPropertyOptional({ default: false, description: 'Re-publish over a remote copy that was edited or deleted on its platform (otherwise 409)' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class PostDto implements PostView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ description: 'Markdown' }) content!: string;
  @ApiProperty({ nullable: true, type: String }) excerpt!: string | null;
  @ApiProperty() slug!: string;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ nullable: true, type: String }) featuredImageUrl!: string | null;
  @ApiProperty({ nullable: true, type: String }) canonicalUrl!: string | null;
  @ApiProperty({ enum: POST_STATUSES }) status!: PostStatus;
  @ApiProperty({ nullable: true, type: String }) sourceItemId!: string | null;
  @ApiProperty({ nullable: true, type: String }) sourceJobId!: string | null;
  @ApiProperty() conflict!: boolean;
  @ApiProperty({ nullable: true, type: String }) publishedAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class DeliveryDto implements DeliveryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) postId!: string;
  @ApiProperty({ format: 'uuid' }) endpointId!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: DeliveryStatus;
  @ApiProperty({ nullable: true, type: String }) remoteId!: string | null;
  @ApiProperty({ nullable: true, type: String }) remoteUrl!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: String }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) scheduledAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) publishedAt!: string | null;
  @ApiProperty({ nullable: true, enum: ['edited', 'deleted'] }) conflict!: 'edited' | 'deleted' | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: { type: 'number' } }) engagement!: DeliveryEngagement | null;
  @ApiProperty() updatedAt!: string;
}

export class PublishResponseDto implements PublishResponse {
  @ApiProperty({ type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, endpointId: { type: 'string' }, status: { type: 'string' } } } })
  deliveries!: PublishResponse['deliveries'];
}
