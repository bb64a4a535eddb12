import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ENDPOINT_TYPES,
  type CreateEndpointRequest,
  type EndpointTestResult,
  type EndpointType,
  type EndpointView,
  type UpdateEndpointRequest,
} from '@margin/contracts';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUrl, MaxLength, MinLength, registerDecorator, type ValidationOptions } from 'class-validator';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const MAX_CREDENTIAL_LENGTH = 2000;
const MAX_CONFIG_BYTES = 8 * 1024;

/** An object of at most 10 non-empty strings (credential values), each at most 2000 characters. */
function IsCredentials(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isCredentials',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be an object of up to 10 non-empty strings (at most ${MAX_CREDENTIAL_LENGTH} characters each)`, ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          return (
            entries.length <= 10 &&
            entries.every(([k, v]) => /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(k) && typeof v === 'string' && v.length > 0 && v.length <= MAX_CREDENTIAL_LENGTH)
          );
        },
      },
    });
}

/** A JSON object of at most 8 KiB. */
function IsSmallObject(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isSmallObject',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be an object of at most ${MAX_CONFIG_BYTES} bytes as JSON`, ...options },
      validator: {
        validate(value: unknown) {
          return typeof value === 'object' && value !== null && !Array.isArray(value) && Buffer.byteLength(JSON.stringify(value)) <= MAX_CONFIG_BYTES;
        },
      },
    });
}

export class CreateEndpointDto implements CreateEndpointRequest {
  @ApiProperty({ enum: ENDPOINT_TYPES })
  @IsIn(ENDPOINT_TYPES)
  type!: EndpointType;

  @ApiProperty({ example: 'Company blog' })
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name!: string;

  @ApiPropertyOptional({ example: 'https://hooks.example.com/margin', description: 'Site / service / receiver URL (not for `blog`)' })
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      'wordpress {username, applicationPassword}; ghost {adminApiKey}; bluesky {handle, appPassword}; webhook {secret}; strapi {apiToken}. Stored encrypted; never returned',
  })
  @IsOptional()
  @IsCredentials()
  credentials?: Record<string, string>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Per type: blog {slug} (the public path, default from the tenant name); webhook {secretOverlapSeconds} (default 86400)',
  })
  @IsOptional()
  @IsObject()
  @IsSmallObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateEndpointDto implements UpdateEndpointRequest {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Replaces the stored credentials (a new webhook secret starts an overlap window)',
  })
  @IsOptional()
  @IsCredentials()
  credentials?: Record<string, string>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  @IsSmallObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class EndpointDto implements EndpointView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ENDPOINT_TYPES }) type!: EndpointType;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) url!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) config!: Record<string, unknown>;
  @ApiProperty() enabled!: boolean;
  @ApiPropertyOptional({ description: 'blog: its public pages' }) publicUrl?: string;
  @ApiPropertyOptional({ description: 'blog: its RSS feed' }) feedUrl?: string;
  @ApiProperty({ type: [String], description: 'Names of the stored credential fields (values are never returned)' }) credentialFields!: string[];
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class EndpointTestResultDto implements EndpointTestResult {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ example: '401 from /wp-json/wp/v2/users/me: wrong application password' }) detail!: string;
}
