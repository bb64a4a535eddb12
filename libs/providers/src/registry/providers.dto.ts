import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROVIDER_KINDS, type CreateProviderRequest, type ProviderKind, type ProviderView, type UpdateProviderRequest } from '@margin/contracts';
import { IsBoolean, IsIn, IsOptional, IsString, IsUrl, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class CreateProviderDto implements CreateProviderRequest {
  @ApiProperty({ example: 'groq', description: 'Lowercase letters, digits and dashes' })
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'id must be lowercase letters, digits and dashes (at most 63)' })
  id!: string;

  @ApiProperty({ enum: PROVIDER_KINDS, description: '`openai` covers every OpenAI-compatible host' })
  @IsIn(PROVIDER_KINDS)
  kind!: ProviderKind;

  @ApiProperty({ example: 'Groq' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({ example: 'https://api.groq.com/openai/v1' })
  @IsUrl(URL_OPTIONS)
  baseUrl!: string;

  @ApiPropertyOptional({ description: 'Stored encrypted; never returned' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  apiKey?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateProviderDto implements UpdateProviderRequest {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ description: 'Re-point the provider at another host' })
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  baseUrl?: string;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'A new key, or null to remove it' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  apiKey?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class ProviderDto implements ProviderView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: PROVIDER_KINDS }) kind!: ProviderKind;
  @ApiProperty() name!: string;
  @ApiProperty() baseUrl!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: ['env', 'admin'] }) managedBy!: 'env' | 'admin';
  @ApiProperty() hasApiKey!: boolean;
  @ApiProperty() healthy!: boolean;
  @ApiProperty({ description: "True when this host is Margin's LLM emulator" }) emulated!: boolean;
  @ApiProperty({ nullable: true, type: Number }) latencyMs!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ type: [String] }) models!: string[];
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) checkedAt!: string | null;
}
