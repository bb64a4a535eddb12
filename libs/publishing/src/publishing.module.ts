import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AnalysisCoreModule, EndpointDirectory, ItemCompletedListener, JobPublishCheck } from '@margin/analysis';
import { QUEUES } from '@margin/contracts';
import { IdentityCoreModule } from '@margin/identity';
import { BlogController } from './blog/blog.controller';
import { BlogService } from './blog/blog.service';
import { DeliveriesRepository } from './deliveries/deliveries.repository';
import { DeliveryEntity } from './deliveries/delivery.entity';
import { DeliveryEvents } from './deliveries/delivery-events';
import { DeliveryQueue } from './deliveries/delivery-queue';
import { DeliveryRunner } from './deliveries/delivery-runner';
import { DeliverySweeper } from './deliveries/delivery-sweeper';
import { PublishService } from './deliveries/publish.service';
import { PublishingProcessor } from './deliveries/publishing.processor';
import { DEFAULT_PUBLISHING_SETTINGS, PublishingSettings } from './deliveries/publishing-settings';
import { EndpointEntity } from './endpoints/endpoint.entity';
import { EndpointsController } from './endpoints/endpoints.controller';
import { EndpointsRepository } from './endpoints/endpoints.repository';
import { EndpointsService } from './endpoints/endpoints.service';
import { PublishingFigures } from './figures/publishing-figures';
import { JobPublisher } from './jobs/job-publisher';
import { PostEntity } from './posts/post.entity';
import { PostsController } from './posts/posts.controller';
import { PostsRepository } from './posts/posts.repository';
import { PostsService } from './posts/posts.service';
import { PUBLISH_TARGETS_PROVIDER } from './targets/target-registry';

/** Deliveries wait on remote platforms; a worker killed mid-delivery is covered by the delivery's own lease (see DeliverySweeper). */
const PUBLISHING_QUEUE = BullModule.registerQueue({ name: QUEUES.publishing });

/** What the API and the worker both need: endpoints, posts, deliveries, the targets and the queue. */
@Module({
  imports: [TypeOrmModule.forFeature([EndpointEntity, PostEntity, DeliveryEntity]), PUBLISHING_QUEUE, AnalysisCoreModule, IdentityCoreModule],
  providers: [
    EndpointsRepository,
    PostsRepository,
    DeliveriesRepository,
    EndpointsService,
    PostsService,
    PublishService,
    DeliveryQueue,
    DeliveryEvents,
    PUBLISH_TARGETS_PROVIDER,
    PublishingFigures,
    { provide: PublishingSettings, useValue: DEFAULT_PUBLISHING_SETTINGS },
  ],
  exports: [
    EndpointsRepository,
    PostsRepository,
    DeliveriesRepository,
    EndpointsService,
    PostsService,
    PublishService,
    DeliveryQueue,
    DeliveryEvents,
    PUBLISH_TARGETS_PROVIDER.provide,
    PublishingSettings,
    PublishingFigures,
    PUBLISHING_QUEUE,
  ],
})
export class PublishingCoreModule {}

/** API side: endpoints, posts, publish requests, the public blog; and the check of a job's `publish` option. */
@Module({
  imports: [PublishingCoreModule],
  controllers: [EndpointsController, PostsController, BlogController],
  providers: [
    BlogService,
    { provide: JobPublishCheck, useExisting: PublishService },
    // plans match the targets a request names against these
    {
      provide: EndpointDirectory,
      useFactory: (endpoints: EndpointsService): EndpointDirectory => ({ list: (tenantId) => endpoints.list(tenantId) }),
      inject: [EndpointsService],
    },
  ],
})
export class PublishingModule {}

/** Worker side: the publishing queue's processor, the sweeps, and blog-post items becoming posts. */
@Module({
  imports: [PublishingCoreModule, AnalysisCoreModule],
  providers: [DeliveryRunner, DeliverySweeper, JobPublisher, PublishingProcessor, { provide: ItemCompletedListener, useExisting: JobPublisher }],
})
export class PublishingWorkerModule {}
