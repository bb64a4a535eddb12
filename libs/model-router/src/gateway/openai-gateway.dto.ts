import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/** The subset of OpenAI's chat.completions request Margin understands; other fields are accepted and ignored. */
export class GatewayMessage {
  @ApiProperty({ enum: ['system', 'developer', 'user', 'assistant'] })
  @IsIn(['system', 'developer', 'user', 'assistant'])
  role!: 'system' | 'developer' | 'user' | 'assistant';
  /** A string, or OpenAI's array of text parts (checked when the messages are read). */
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, text: { type: 'string' } } } }],
  })
  @Allow()
  content!: string | Array<{ type: string; text?: string }>;
}

export class GatewayResponseFormat {
  @ApiProperty({ enum: ['text', 'json_object', 'json_schema'] }) @IsIn(['text', 'json_object', 'json_schema']) type!: 'text' | 'json_object' | 'json_schema';
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() json_schema?: {
    name?: string;
    schema?: Record<string, unknown>;
    strict?: boolean;
  };
}

export class GatewayStreamOptions {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_usage?: boolean;
}

export class ChatCompletionRequest {
  @ApiProperty({ description: 'A catalog model (e.g. openai/gpt-4o-mini) or margin/auto|fast|best', maxLength: 200, example: 'margin/auto' })
  @IsString()
  @MaxLength(200)
  model!: string;
  @ApiProperty({ type: [GatewayMessage] })
  @IsArray()
  @ArrayMinSize(1)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => GatewayMessage)
  messages!: GatewayMessage[];
  @ApiPropertyOptional({ minimum: 0, maximum: 2 }) @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000 }) @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000 }) @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_completion_tokens?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean;
  @ApiPropertyOptional({ type: GatewayStreamOptions })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => GatewayStreamOptions)
  stream_options?: GatewayStreamOptions;
  @ApiPropertyOptional({ type: GatewayResponseFormat })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => GatewayResponseFormat)
  response_format?: GatewayResponseFormat;
}
