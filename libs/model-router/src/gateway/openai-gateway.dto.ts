import { Type } from 'class-transformer';
import { Allow, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';

/** The subset of OpenAI's chat.completions request Margin understands; other fields are accepted and ignored. */
export class GatewayMessage {
  @IsIn(['system', 'developer', 'user', 'assistant']) role!: 'system' | 'developer' | 'user' | 'assistant';
  /** A string, or OpenAI's array of text parts (checked when the messages are read). */
  @Allow() content!: string | Array<{ type: string; text?: string }>;
}

export class GatewayResponseFormat {
  @IsIn(['text', 'json_object', 'json_schema']) type!: 'text' | 'json_object' | 'json_schema';
  @IsOptional() @IsObject() json_schema?: { name?: string; schema?: Record<string, unknown>; strict?: boolean };
}

export class GatewayStreamOptions {
  @IsOptional() @IsBoolean() include_usage?: boolean;
}

export class ChatCompletionRequest {
  @IsString() @MaxLength(200) model!: string;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => GatewayMessage) messages!: GatewayMessage[];
  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_tokens?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_completion_tokens?: number;
  @IsOptional() @IsBoolean() stream?: boolean;
  @IsOptional() @ValidateNested() @Type(() => GatewayStreamOptions) stream_options?: GatewayStreamOptions;
  @IsOptional() @ValidateNested() @Type(() => GatewayResponseFormat) response_format?: GatewayResponseFormat;
}
