import { Inject, Injectable, Logger } from '@nestjs/common';
import { ItemCompletedListener, JobsRepository, PUBLISHABLE_PROFILE, type CompletedItem } from '@margin/analysis';
import { Clock, REDIS } from '@margin/core';
import type Redis from 'ioredis';
import { PublishService } from '../deliveries/publish.service';
import { PostsService } from '../posts/posts.service';

/** How far back the catch-up looks for completed items whose post was never made. */
const CATCH_UP_WINDOW_MS = 6 * 3_600_000;
/** Completions younger than this are left to the listener call in flight (two at once could request twice). */
const CATCH_UP_GRACE_MS = 2 * 60_000;
/** Where the catch-up got to (the finish time of the last item it looked at). */
const CURSOR_KEY = 'margin:publishing:catch-up';

/**
 * A blog-post job's `publish` option: each completed item becomes a post (once: the post remembers its item)
 * and is published to the job's endpoints. Told by the item runner right after the completion commits; the
 * sweep's catch-up covers a completion whose call was lost (the worker died in between).
 */
@Injectable()
export class JobPublisher extends ItemCompletedListener {
  private readonly logger = new Logger(JobPublisher.name);

  constructor(
    private readonly posts: PostsService,
    private readonly publisher: PublishService,
    private readonly jobs: JobsRepository,
    private readonly clock: Clock,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    super();
  }

  async itemCompleted(item: CompletedItem): Promise<void> {
    if (item.profileKey !== PUBLISHABLE_PROFILE) return;
    const post = await this.posts.fromCompletedItem(item.tenantId, item.itemId);
    await this.publisher.publishFromJob(item.tenantId, post.id, item.publish);
    this.logger.log({ tenantId: item.tenantId, jobId: item.jobId, itemId: item.itemId, postId: post.id }, 'Item published as a post');
  }

  /** Completed items of publishing jobs in the recent past that became no post (or got no deliveries): done now. */
  async catchUp(limit = 100): Promise<number> {
    const now = this.clock.now().getTime();
    const cursor = Number((await this.redis.get(CURSOR_KEY)) ?? 0);
    const since = new Date(Math.max(cursor, now - CATCH_UP_WINDOW_MS));
    const items = await this.jobs.completedItemsToPublish(since, new Date(now - CATCH_UP_GRACE_MS), limit);
    let done = 0;
    for (const item of items) {
      try {
        // idempotent: an existing post is reused and only missing deliveries are requested
        await this.itemCompleted(item);
        done++;
      } catch (err) {
        this.logger.warn({ tenantId: item.tenantId, itemId: item.itemId }, `Catch-up of a completed item failed: ${(err as Error).message}`);
      }
    }
    const last = items.at(-1);
    // strictly after the last one seen (a page cut between two items finished in the same millisecond repeats one, harmlessly)
    if (last) await this.redis.set(CURSOR_KEY, String(last.finishedAt.getTime() + (items.length < limit ? 1 : 0)));
    return done;
  }
}
