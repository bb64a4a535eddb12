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
  ArrayMaxSize,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class GatewayFunctionCall {
  @ApiProperty() @IsString() @MaxLength(64) name!: string;
  /** The JSON text of the arguments. */
  @ApiProperty() @IsString() arguments!: string;
}

export class GatewayToolCall {
  @ApiProperty() @IsString() @MaxLength(200) id!: string;
  @ApiProperty({ enum: ['function'] }) @IsIn(['function']) type!: 'function';
  @ApiProperty({ type: GatewayFunctionCall }) @IsObject() @ValidateNested() @Type(() => GatewayFunctionCall) function!: GatewayFunctionCall;
}

/** The subset of OpenAI's chat.completions request Margin understands; fields it cannot honour are refused (400). */
export class GatewayMessage {
  @ApiProperty({ enum: ['system', 'developer', 'user', 'assistant', 'tool'] })
  @IsIn(['system', 'developer', 'user', 'assistant', 'tool'])
  role!: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  /** A string, or OpenAI's array of text parts (checked when the messages are read); null on an assistant turn with tool_calls. */
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, text: { type: 'string' } } } }],
    nullable: true,
  })
  @Allow()
  content!: string | Array<{ type: string; text?: string }> | null;
  /** Assistant turns: the calls the model made. */
  @ApiPropertyOptional({ type: [GatewayToolCall] })
  @IsOptional()
  @IsArray()
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => GatewayToolCall)
  tool_calls?: GatewayToolCall[];
  /** Tool turns: the call this answers. */
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) tool_call_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) name?: string;
}

export class GatewayFunction {
  @ApiProperty({ pattern: '^[a-zA-Z0-9_-]{1,64}$' }) @IsString() @Matches(/^[a-zA-Z0-9_-]{1,64}$/) name!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() strict?: boolean;
}

export class GatewayTool {
  @ApiProperty({ enum: ['function'] }) @IsIn(['function']) type!: 'function';
  @ApiProperty({ type: GatewayFunction }) @IsObject() @ValidateNested() @Type(() => GatewayFunction) function!: GatewayFunction;
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
  @ApiPropertyOptional({ type: [GatewayTool], maxItems: 128 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => GatewayTool)
  tools?: GatewayTool[];
  /** "auto" | "none" | "required" | {type: "function", function: {name}} (checked when the request is read). */
  @ApiPropertyOptional({ oneOf: [{ type: 'string', enum: ['auto', 'none', 'required'] }, { type: 'object' }] })
  @Allow()
  tool_choice?: unknown;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;
  @ApiPropertyOptional({ minimum: 1, maximum: 16 }) @IsOptional() @IsInt() @Min(1) @Max(16) n?: number;
  /** A string or up to 4 strings (checked when the request is read). */
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 4 }] })
  @Allow()
  stop?: unknown;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() logprobs?: boolean;
  @ApiPropertyOptional({ minimum: 0, maximum: 20 }) @IsOptional() @IsInt() @Min(0) @Max(20) top_logprobs?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() seed?: number;
  @ApiPropertyOptional({ maxLength: 256 }) @IsOptional() @IsString() @MaxLength(256) user?: string;
  /** Up to 16 string values (checked when the request is read). */
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } }) @IsOptional() @IsObject() metadata?: Record<string, unknown>;
  @ApiPropertyOptional({ enum: ['auto', 'default', 'flex', 'priority', 'scale'] })
  @IsOptional()
  @IsIn(['auto', 'default', 'flex', 'priority', 'scale'])
  service_tier?: string;
}
