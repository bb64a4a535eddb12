import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { JobSettingsView } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { IsBoolean, IsInt, Max, Min, ValidateIf } from 'class-validator';
import { MAX_WAIT_SECONDS_LIMIT } from '../jobs/jobs.dto';
import { JobSettingsService } from './job-settings.service';

export class UpdateJobSettingsDto {
  @ApiPropertyOptional({
    example: 86400,
    minimum: 1,
    maximum: MAX_WAIT_SECONDS_LIMIT,
    description: 'How long items may wait for model providers to come back before they fail, in seconds',
  })
  // absent leaves it as it is; null is no number of seconds (a 400, not a stored null)
  @ValidateIf((_o, v) => v !== undefined)
  @IsInt()
  @Min(1)
  @Max(MAX_WAIT_SECONDS_LIMIT)
  maxWaitSeconds?: number;

  @ApiPropertyOptional({
    example: true,
    description: "Jobs that do not say are deferrable: eligible calls may use the providers' batch tier (half price, within 24 h)",
  })
  @ValidateIf((_o, v) => v !== undefined)
  @IsBoolean()
  deferrable?: boolean;
}

export class JobSettingsDto implements JobSettingsView {
  @ApiProperty({ example: 86400 }) maxWaitSeconds!: number;
  @ApiProperty({ example: false }) deferrable!: boolean;
}

@ApiTags('jobs')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('job-settings')
export class JobSettingsController {
  constructor(private readonly settings: JobSettingsService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's job defaults (maxWaitSeconds: patience for provider outages)" })
  get(@CurrentPrincipal() principal: Principal): Promise<JobSettingsDto> {
    return this.settings.get(principal.tenantId);
  }

  @Put()
  @MinRole('admin')
  @ApiOperation({ summary: "Change the tenant's job defaults" })
  update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateJobSettingsDto): Promise<JobSettingsDto> {
    return this.settings.update(principal.tenantId, body);
  }
}
