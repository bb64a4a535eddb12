import { PlanTiersSource } from '@margin/model-router';
import { PlanTiers } from './quotas/plan-tiers';
import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QUEUES } from '@margin/contracts';
import { CostTrackingCoreModule } from '@margin/cost-tracking';
import { IdentityCoreModule, IdentityModule, TenantUsageSource } from '@margin/identity';
import { ModelRouterCoreModule } from '@margin/model-router';
import { AnalysisCacheRepository } from './cache/analysis-cache.repository';
import { AnalysisCacheService } from './cache/analysis-cache.service';
import { AnalysisProcessor } from './jobs/analysis.processor';
import { AnalyzeService } from './jobs/analyze.service';
import { CallbackSecretsRepository } from './jobs/instant/callback-secrets.repository';
import { EnhancementRegistry } from './jobs/instant/enhancements';
import { InstantAnalysis } from './jobs/instant/instant-analysis';
import { IntakeService } from './plans/intake.service';
import { PlanEstimator } from './plans/plan-estimator';
import { RequestPlansController } from './plans/request-plans.controller';
import { RequestPlansRepository } from './plans/request-plans.repository';
import { RequestPlansService } from './plans/request-plans.service';
import { EnhancementNotifier } from './jobs/instant/enhancement-notifier';
import { ItemRunner } from './jobs/item-runner';
import { BatchJobFilter } from './jobs/batch-job-filter';
import { ItemStepCheckpoints } from './pipeline/step-checkpoints';
import { JobSettingsController } from './job-settings/job-settings.controller';
import { JobSettingsRepository } from './job-settings/job-settings.repository';
import { JobSettingsService } from './job-settings/job-settings.service';
import { JobActivityService } from './jobs/job-activity.service';
import { JobFeeder } from './jobs/job-feeder';
import { JobItemEntity } from './jobs/job-item.entity';
import { JobEntity } from './jobs/job.entity';
import { JobsController } from './jobs/jobs.controller';
import { JobsRepository } from './jobs/jobs.repository';
import { OutageRequeue } from './jobs/outage-wait';
import { PriorityService } from './jobs/priority.service';
import { PriorityRuleRepository } from './jobs/priority-rule.repository';
import { QueueReconciler } from './jobs/queue-reconciler';
import { ControlJob } from './jobs/usecases/control-job';
import { EstimateJob } from './jobs/usecases/estimate-job';
import { QueryJobs } from './jobs/usecases/query-jobs';
import { SubmissionReader } from './jobs/usecases/submission-reader';
import { SubmitJob } from './jobs/usecases/submit-job';
import { PipelineRunner } from './pipeline/pipeline-runner';
import { ProfileEntity } from './profiles/profile.entity';
import { ProfileRepository } from './profiles/profile.repository';
import { ProfilesController } from './profiles/profiles.controller';
import { ProfilesService } from './profiles/profiles.service';
import { AuthServiceAuthenticator } from './progress/auth-service.authenticator';
import { JobCountersReader } from './progress/job-counters.reader';
import { ProgressAuthenticator } from './progress/progress-authenticator';
import { ProgressGateway } from './progress/progress.gateway';
import { ProgressPublisher } from './progress/progress.publisher';
import { PlansController } from './quotas/plans.controller';
import { PlanRepository } from './quotas/plan.repository';
import { FairShares } from './quotas/fair-shares';
import { QuotaService } from './quotas/quota.service';

/**
 * A worker killed mid-item loses its lock within lockDuration; the stalled check (every stalledInterval)
 * hands the item to another worker.
 */
const ANALYSIS_QUEUE = BullModule.registerQueue({
  name: QUEUES.analysis,
  settings: { lockDuration: 15_000, lockRenewTime: 5_000, stalledInterval: 5_000, maxStalledCount: 3 },
});

/** What the API and the worker both need to run items and pipelines. */
@Module({
  // CostTrackingCoreModule: the pipeline records the assess step's quality scores in the ledger.
  imports: [
    TypeOrmModule.forFeature([JobEntity, JobItemEntity, ProfileEntity]),
    ANALYSIS_QUEUE,
    ModelRouterCoreModule,
    IdentityCoreModule,
    CostTrackingCoreModule,
  ],
  providers: [
    JobsRepository,
    JobActivityService,
    JobFeeder,
    FairShares,
    JobSettingsRepository,
    JobSettingsService,
    AnalysisCacheRepository,
    PlanRepository,
    ProfileRepository,
    ProfilesService,
    PipelineRunner,
    AnalysisCacheService,
    QuotaService,
    ProgressPublisher,
    { provide: PlanTiersSource, useClass: PlanTiers },
  ],
  exports: [
    JobsRepository,
    AnalysisCacheRepository,
    JobActivityService,
    JobFeeder,
    JobSettingsService,
    ProfilesService,
    PipelineRunner,
    AnalysisCacheService,
    QuotaService,
    ProgressPublisher,
    PlanTiersSource,
    ANALYSIS_QUEUE,
  ],
})
export class AnalysisCoreModule {}

/** API side: profiles, jobs, on-demand analysis, plans, and the progress feed. */
@Module({
  // IdentityModule: the feed authenticates with AuthService; the router prices estimates; the ledger books /analyze's cache savings.
  imports: [AnalysisCoreModule, IdentityModule, ModelRouterCoreModule, CostTrackingCoreModule],
  controllers: [JobsController, JobSettingsController, ProfilesController, PlansController, RequestPlansController],
  providers: [
    SubmissionReader,
    SubmitJob,
    EstimateJob,
    QueryJobs,
    ControlJob,
    AnalyzeService,
    InstantAnalysis,
    EnhancementRegistry,
    RequestPlansService,
    RequestPlansRepository,
    IntakeService,
    PlanEstimator,
    CallbackSecretsRepository,
    PriorityService,
    PriorityRuleRepository,
    ProgressGateway,
    { provide: JobCountersReader, useExisting: QueryJobs },
    { provide: ProgressAuthenticator, useClass: AuthServiceAuthenticator },
    { provide: TenantUsageSource, useExisting: QuotaService },
  ],
})
export class AnalysisModule {}

/** Worker side: the analysis queue's processor. */
@Module({
  imports: [AnalysisCoreModule, IdentityCoreModule, CostTrackingCoreModule, ModelRouterCoreModule, BullModule.registerQueue({ name: QUEUES.maintenance })],
  providers: [
    ItemRunner,
    AnalysisProcessor,
    QueueReconciler,
    OutageRequeue,
    ItemStepCheckpoints,
    BatchJobFilter,
    EnhancementNotifier,
    EnhancementRegistry,
    CallbackSecretsRepository,
  ],
})
export class AnalysisWorkerModule {}
