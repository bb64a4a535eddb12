import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { QUEUES } from '@margin/contracts';
import { AnalysisCoreModule } from '@margin/analysis';
import { ModelRouterCoreModule } from '@margin/model-router';
import { AbExamplesRepository, AbReportService } from './ab/ab-report';
import { PromotionEvaluationProcessor, PromotionScheduler } from './ab/promotion-schedule';
import { PromotionsRepository } from './ab/promotions.repository';
import { PromotionsService } from './ab/promotions.service';
import { DatasetsController } from './datasets/datasets.controller';
import { DatasetsRepository } from './datasets/datasets.repository';
import { DatasetsService } from './datasets/datasets.service';
import { EvalRunner, EvalRunProcessor } from './evals/eval-runner';
import { EvalsController } from './evals/evals.controller';
import { EvalsRepository } from './evals/evals.repository';
import { EvalsService } from './evals/evals.service';
import { ExampleRecorder } from './examples/example-recorder';
import { ExamplesQueryRepository, ExamplesRepository } from './examples/examples.repository';
import { ExamplesService } from './examples/examples.service';
import { ExampleRetention, ExampleRetentionProcessor, ExampleRetentionScheduler } from './examples/retention';
import { FeedbackRepository } from './feedback/feedback.repository';
import { FeedbackService } from './feedback/feedback.service';
import { TrainingSettingsRepository, TrainingSettingsService } from './settings/training-settings';
import { TrainingController } from './training.controller';

const MAINTENANCE_QUEUE = BullModule.registerQueue({ name: QUEUES.maintenance });

/** For any process that makes LLM calls: records each answered call as a training example. */
@Module({
  imports: [ModelRouterCoreModule],
  providers: [ExamplesRepository, ExampleRecorder],
  exports: [ExampleRecorder],
})
export class TrainingCoreModule {}

/** API side: examples, feedback, exports, settings, datasets, eval sets and runs (queued for the worker). */
@Module({
  imports: [TrainingCoreModule, AnalysisCoreModule, ModelRouterCoreModule, MAINTENANCE_QUEUE],
  controllers: [TrainingController, DatasetsController, EvalsController],
  providers: [
    ExamplesQueryRepository,
    ExamplesService,
    FeedbackRepository,
    FeedbackService,
    TrainingSettingsRepository,
    TrainingSettingsService,
    DatasetsRepository,
    DatasetsService,
    EvalsRepository,
    EvalsService,
    AbExamplesRepository,
    AbReportService,
    PromotionsRepository,
    PromotionsService,
  ],
  exports: [TrainingCoreModule],
})
export class TrainingModule {}

/** Worker side: the examples' retention, the eval runs and the scheduled promotion rule. */
@Module({
  imports: [TrainingCoreModule, AnalysisCoreModule, ModelRouterCoreModule, MAINTENANCE_QUEUE],
  providers: [
    ExamplesQueryRepository,
    ExampleRetention,
    ExampleRetentionScheduler,
    ExampleRetentionProcessor,
    EvalsRepository,
    EvalRunner,
    EvalRunProcessor,
    TrainingSettingsRepository,
    TrainingSettingsService,
    AbExamplesRepository,
    AbReportService,
    PromotionsRepository,
    PromotionsService,
    PromotionScheduler,
    PromotionEvaluationProcessor,
  ],
  exports: [TrainingCoreModule],
})
export class TrainingWorkerModule {}
