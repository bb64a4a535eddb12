import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import { MAINTENANCE_JOBS, QUEUES, type TouchApiKeyPayload } from '@margin/contracts';
import { validatePayload } from '@margin/core';
import type { Job } from 'bull';
import { IsISO8601, IsUUID } from 'class-validator';
import { ApiKeysService } from './api-keys.service';

class TouchApiKeyCommand implements TouchApiKeyPayload {
  @IsUUID() tenantId!: string;
  @IsUUID() apiKeyId!: string;
  @IsISO8601() usedAt!: string;
}

@Processor(QUEUES.maintenance)
export class ApiKeyTouchProcessor {
  private readonly logger = new Logger(ApiKeyTouchProcessor.name);

  constructor(private readonly keys: ApiKeysService) {}

  @Process(MAINTENANCE_JOBS.touchApiKey)
  async touch(job: Job<unknown>): Promise<void> {
    const command = validatePayload(TouchApiKeyCommand, job.data, 'api-key.touch payload');
    await this.keys.touch(command);
    this.logger.debug({ jobId: job.id, apiKeyId: command.apiKeyId }, 'API key use recorded');
  }
}
