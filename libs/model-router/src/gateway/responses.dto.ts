import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

// DTOs of /v1/responses, /v1/embeddings and /v1/completions. Polymorphic fields (`input`, `prompt`) are
// checked where they are read, with OpenAI's `param` naming the bad item.

export class ResponseTextFormat {
  @ApiProperty({ enum: ['text', 'json_object', 'json_schema'] })
  @IsIn(['text', 'json_object', 'json_schema'])
  type!: 'text' | 'json_object' | 'json_schema';
  @ApiPropertyOptional({ maxLength: 64 }) @IsOptional() @IsString() @MaxLength(64) name?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() schema?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() strict?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) description?: string;
}

export class ResponseText {
  @ApiPropertyOptional({ type: ResponseTextFormat })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ResponseTextFormat)
  format?: ResponseTextFormat;
  /** GPT-5's verbosity: accepted only at its default. */
  @ApiPropertyOptional({ enum: ['medium'] }) @IsOptional() @IsIn(['medium']) verbosity?: 'medium';
}

export class ResponseCreateRequest {
  @ApiProperty({ description: 'A catalog model (e.g. openai/gpt-4o-mini) or margin/auto|fast|best', maxLength: 200, example: 'margin/auto' })
  @IsString()
  @MaxLength(200)
  model!: string;
  @ApiProperty({ description: 'A string, or message items `{ role, content }` (content: a string or input_text parts)' })
  @Allow()
  input!: unknown;
  @ApiPropertyOptional({ description: 'A system message for this call only (not carried to a follow-up by previous_response_id)' })
  @IsOptional()
  @IsString()
  instructions?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000 }) @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_output_tokens?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 2 }) @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() top_p?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean;
  @ApiPropertyOptional({ description: 'Keep the response for GET /v1/responses/{id} and previous_response_id (default true; 30 days)' })
  @IsOptional()
  @IsBoolean()
  store?: boolean;
  @ApiPropertyOptional({ description: 'Continue the conversation of a stored response of the same tenant' })
  @IsOptional()
  @IsString()
  @Matches(/^resp_[A-Za-z0-9]{1,64}$/, { message: 'previous_response_id must be a response id (resp_…)' })
  previous_response_id?: string;
  @ApiPropertyOptional({ type: ResponseText }) @IsOptional() @IsObject() @ValidateNested() @Type(() => ResponseText) text?: ResponseText;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } }) @IsOptional() @IsObject() metadata?: Record<string, string>;
  @ApiPropertyOptional({ maxLength: 256 }) @IsOptional() @IsString() @MaxLength(256) user?: string;
  @ApiPropertyOptional({ description: 'Not supported yet: a non-empty list is a 400' }) @IsOptional() @IsArray() tools?: unknown[];
  @ApiPropertyOptional() @IsOptional() @Allow() tool_choice?: unknown;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;
  @ApiPropertyOptional({ enum: ['auto', 'disabled'] }) @IsOptional() @IsIn(['auto', 'disabled']) truncation?: 'auto' | 'disabled';
  @ApiPropertyOptional({ enum: ['auto', 'default'] }) @IsOptional() @IsIn(['auto', 'default']) service_tier?: 'auto' | 'default';
  @ApiPropertyOptional() @IsOptional() @IsArray() @IsString({ each: true }) include?: string[] | null;
  @ApiPropertyOptional() @IsOptional() @IsObject() reasoning?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() background?: boolean;
}

export class EmbeddingsRequest {
  @ApiProperty({ description: 'An embedding model of the catalog, e.g. openai/text-embedding-3-small or ollama/nomic-embed-text', maxLength: 200 })
  @IsString()
  @MaxLength(200)
  model!: string;
  @ApiProperty({ description: 'A string or an array of up to 2048 strings' })
  @Allow()
  input!: unknown;
  @ApiPropertyOptional({ enum: ['float', 'base64'] }) @IsOptional() @IsIn(['float', 'base64']) encoding_format?: 'float' | 'base64';
  @ApiPropertyOptional({ minimum: 1, maximum: 65536 }) @IsOptional() @IsInt() @Min(1) @Max(65536) dimensions?: number;
  @ApiPropertyOptional({ maxLength: 256 }) @IsOptional() @IsString() @MaxLength(256) user?: string;
}

export class CompletionStreamOptions {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_usage?: boolean;
}

export class CompletionRequest {
  @ApiProperty({ maxLength: 200, example: 'margin/fast' }) @IsString() @MaxLength(200) model!: string;
  @ApiProperty({ description: 'A string (or an array holding one string)' }) @Allow() prompt!: unknown;
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000 }) @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 2 }) @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean;
  @ApiPropertyOptional({ type: CompletionStreamOptions })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CompletionStreamOptions)
  stream_options?: CompletionStreamOptions;
  @ApiPropertyOptional({ description: 'Only 1' }) @IsOptional() @IsInt() n?: number;
  @ApiPropertyOptional({ description: 'Only 1' }) @IsOptional() @IsInt() best_of?: number;
  @ApiPropertyOptional({ description: 'Not supported' }) @IsOptional() @IsBoolean() echo?: boolean;
  @ApiPropertyOptional({ description: 'Not supported' }) @IsOptional() @Allow() logprobs?: unknown;
  @ApiPropertyOptional({ description: 'Not supported' }) @IsOptional() @Allow() suffix?: unknown;
  @ApiPropertyOptional({ description: 'Not supported' }) @IsOptional() @Allow() stop?: unknown;
  @ApiPropertyOptional({ maxLength: 256 }) @IsOptional() @IsString() @MaxLength(256) user?: string;
}
