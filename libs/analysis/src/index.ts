import { AnalyzeUsage1765000000100 } from './migrations/1765000000100-analyze-usage';
export * from './analysis.module';
export { RedisIoAdapter } from './progress/redis-io.adapter';
export { QueueReconciler } from './jobs/queue-reconciler';
export { JobFeeder } from './jobs/job-feeder';
export { ItemRunner } from './jobs/item-runner';
export { JobsRepository } from './jobs/jobs.repository';
export { STREAMED_BODY_ROUTES } from './jobs/jobs.controller';
export { AnalyzeService } from './jobs/analyze.service';
export { inputHash } from './cache/canonical';
export type { ProfileDefinition, PipelineContext, PipelineResult } from './pipeline/pipeline.types';
export { PipelineRunner } from './pipeline/pipeline-runner';
export { compileSchema, type SchemaValidator } from './pipeline/json-schema';
export { ProfilesService, toProfileView, parseProfileRef } from './profiles/profiles.service';
export { PipelineInputError, PipelineOutputError } from './pipeline/pipeline.errors';
import { Analysis1764000000000 } from './migrations/1764000000000-analysis';
import { Profiles1764000000100 } from './migrations/1764000000100-profiles';
import { Feeding1764000000300 } from './migrations/1764000000300-feeding';
import { FairShares1764000000400 } from './migrations/1764000000400-fair-shares';
import { Waiting1764000000510 } from './migrations/1764000000510-waiting';
import { JobCacheScope1765000000200 } from './migrations/1765000000200-job-cache-scope';
import { JobPublish1765100000100 } from './migrations/1765100000100-job-publish';
import { ActivityIndexes1765200000100 } from './migrations/1765200000100-activity-indexes';
import { CacheCounterfactual1765400000100 } from './migrations/1765400000100-cache-counterfactual';
import { CallbackSecrets1765400000900 } from './migrations/1765400000900-callback-secrets';
import { JobOrigin1765400000910 } from './migrations/1765400000910-job-origin';
import { RequestPlans1765400000920 } from './migrations/1765400000920-request-plans';
import { JobDeadline1765400000401 } from './migrations/1765400000401-job-deadline';

export const ANALYSIS_MIGRATIONS = [
  Analysis1764000000000,
  Profiles1764000000100,
  Feeding1764000000300,
  FairShares1764000000400,
  Waiting1764000000510,
  AnalyzeUsage1765000000100,
  JobCacheScope1765000000200,
  JobPublish1765100000100,
  ActivityIndexes1765200000100,
  CacheCounterfactual1765400000100,
  CallbackSecrets1765400000900,
  JobOrigin1765400000910,
  RequestPlans1765400000920,
  JobDeadline1765400000401,
];
export { JobPublishCheck, ItemCompletedListener, EndpointDirectory, PUBLISHABLE_PROFILE, type CompletedItem, type DirectoryEndpoint } from './jobs/job-hooks';
export { JobEntity } from './jobs/job.entity';
export { JobItemEntity } from './jobs/job-item.entity';
export { QuotaService, QuotaExceededError } from './quotas/quota.service';
export { ProgressPublisher } from './progress/progress.publisher';
export { JobActivityService, type ActivityBucket } from './jobs/job-activity.service';
