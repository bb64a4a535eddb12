import { Inject, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { EVENTS_CHANNEL, jobRoom, PROGRESS_NAMESPACE, tenantRoom } from '@margin/contracts';
import { REDIS } from '@margin/core';
import type { Principal } from '@margin/identity';
import type Redis from 'ioredis';
import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';
import { JobCountersReader } from './job-counters.reader';
import { credentialsFromHandshake, ProgressAuthenticator } from './progress-authenticator';
import { parseBudgetAlert, type ProgressEmitEvents, type ProgressSocketData, type SubscribeAck } from './progress.types';

type ProgressNamespace = Namespace<DefaultEventsMap, ProgressEmitEvents, DefaultEventsMap, ProgressSocketData>;
type ProgressSocket = Socket<DefaultEventsMap, ProgressEmitEvents, DefaultEventsMap, ProgressSocketData>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Target = { kind: 'tenant' } | { kind: 'job'; jobId: string } | { kind: 'invalid'; error: string };

/** `{}` (or nothing) means all of the tenant's jobs; `{jobId}` one job. */
function targetOf(body: unknown): Target {
  if (body === undefined || body === null) return { kind: 'tenant' };
  if (typeof body !== 'object' || Array.isArray(body)) return { kind: 'invalid', error: 'invalid payload' };
  const { jobId } = body as { jobId?: unknown };
  if (jobId === undefined) return { kind: 'tenant' };
  if (typeof jobId !== 'string' || !UUID.test(jobId)) return { kind: 'invalid', error: 'invalid jobId' };
  // Rooms are named after the id as Postgres prints it, which is what publishers use.
  return { kind: 'job', jobId: jobId.toLowerCase() };
}

/**
 * The live progress feed (namespace /progress). Sockets authenticate at the handshake and join only the
 * rooms they ask for: one per job, or one per tenant for all of its jobs. Job events reach the rooms from
 * ProgressPublisher (any process) through the Redis adapter; budget alerts are relayed here from Redis.
 */
@WebSocketGateway({ namespace: PROGRESS_NAMESPACE })
export class ProgressGateway implements OnGatewayInit<ProgressNamespace>, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ProgressGateway.name);
  @WebSocketServer() private readonly server?: ProgressNamespace;
  private subscriber?: Redis;

  constructor(
    private readonly authenticator: ProgressAuthenticator,
    private readonly counters: JobCountersReader,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  afterInit(server: ProgressNamespace): void {
    server.use((socket, next) => {
      this.authenticator.authenticate(credentialsFromHandshake(socket.handshake)).then(
        (principal) => {
          if (!principal) return next(new Error('unauthorized'));
          socket.data.principal = principal;
          next();
        },
        (err: Error) => {
          this.logger.error(`Progress feed handshake failed: ${err.message}`);
          next(new Error('unavailable'));
        },
      );
    });
  }

  /** Alerts are published once per installation on EVENTS_CHANNEL, which every API instance receives. */
  async onModuleInit(): Promise<void> {
    const subscriber = this.redis.duplicate();
    subscriber.on('error', (err: Error) => this.logger.warn(`Progress feed events subscriber: ${err.message}`));
    subscriber.on('message', (_channel: string, message: string) => this.relay(message));
    this.subscriber = subscriber;
    await subscriber.subscribe(EVENTS_CHANNEL);
  }

  async onModuleDestroy(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: ProgressSocket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    const principal = socket.data.principal;
    if (!principal) return { ok: false, error: 'unauthorized' };
    const target = targetOf(body);
    switch (target.kind) {
      case 'invalid':
        return { ok: false, error: target.error };
      case 'tenant':
        await socket.join(tenantRoom(principal.tenantId));
        return { ok: true };
      case 'job':
        return this.subscribeToJob(socket, principal, target.jobId);
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: ProgressSocket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    const principal = socket.data.principal;
    if (!principal) return { ok: false, error: 'unauthorized' };
    const target = targetOf(body);
    switch (target.kind) {
      case 'invalid':
        return { ok: false, error: target.error };
      case 'tenant':
        await socket.leave(tenantRoom(principal.tenantId));
        return { ok: true };
      case 'job':
        await socket.leave(jobRoom(target.jobId));
        return { ok: true };
    }
  }

  private async subscribeToJob(socket: ProgressSocket, principal: Principal, jobId: string): Promise<SubscribeAck> {
    try {
      const job = await this.counters.counters(principal.tenantId, jobId);
      if (!job) return { ok: false, error: 'not found' };
      await socket.join(jobRoom(job.jobId));
      return { ok: true, job };
    } catch (err) {
      this.logger.error(`Progress feed: reading job ${jobId} failed: ${(err as Error).message}`);
      return { ok: false, error: 'unavailable' };
    }
  }

  private relay(message: string): void {
    const alert = parseBudgetAlert(message);
    if (!alert || !this.server) return;
    const { tenantId, threshold, spentUsd, limitUsd } = alert;
    // Local only: every instance got the same Redis message and delivers it to its own sockets; a broadcast
    // through the adapter would reach each socket once per instance.
    this.server.local.to(tenantRoom(tenantId)).emit('budget.alert', { threshold, spentUsd, limitUsd });
  }
}
