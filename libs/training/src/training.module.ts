import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { QUEUES } from '@margin/contracts';
import { AnalysisCoreModule } from '@margin/analysis';
import { ModelRouterCoreModule } from '@margin/model-router';
import { DatasetsController } from './datasets/datasets.controller';
import { DatasetsRepository } from './datasets/datasets.repository';
import { DatasetsService } from './datasets/datasets.service';
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

/** API side: examples, feedback, exports, settings. */
@Module({
  imports: [TrainingCoreModule, AnalysisCoreModule, MAINTENANCE_QUEUE],
  controllers: [TrainingController, DatasetsController],
  providers: [
    ExamplesQueryRepository,
    ExamplesService,
    FeedbackRepository,
    FeedbackService,
    TrainingSettingsRepository,
    TrainingSettingsService,
    DatasetsRepository,
    DatasetsService,
  ],
  exports: [TrainingCoreModule],
})
export class TrainingModule {}

/** Worker side: the examples' retention. */
@Module({
  imports: [TrainingCoreModule, MAINTENANCE_QUEUE],
  providers: [ExamplesQueryRepository, ExampleRetention, ExampleRetentionScheduler, ExampleRetentionProcessor],
  exports: [TrainingCoreModule],
})
export class TrainingWorkerModule {}
