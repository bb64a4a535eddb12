import { Inject, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConnectedSocket, MessageBody, type OnGatewayInit, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { EVENTS_CHANNEL, jobRoom, PROGRESS_NAMESPACE, tenantRoom } from '@margin/contracts';
import { AppConfig, ChangeFeed, REDIS, subscriberConnection } from '@margin/core';
import { CREDENTIAL_CHANGE_TOPICS, type Principal } from '@margin/identity';
import type Redis from 'ioredis';
import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';
import { JobCountersReader } from './job-counters.reader';
import { credentialsFromHandshake, type HandshakeCredentials, ProgressAuthenticator } from './progress-authenticator';
import {
  parseBudgetAlert,
  parseDeliveryUpdated,
  parseMetricsAlert,
  type ProgressEmitEvents,
  type ProgressSocketData,
  type SubscribeAck,
} from './progress.types';

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

/** Distinct credentials checked at once during a sweep (each is a database lookup at worst). */
const SWEEP_CONCURRENCY = 8;

/**
 * The live progress feed (namespace /progress). Sockets authenticate at the handshake and join only the
 * rooms they ask for: one per job, or one per tenant for all of its jobs. Job events reach the rooms from
 * ProgressPublisher (any process) through the Redis adapter; budget alerts are relayed here from Redis.
 *
 * A socket lives for hours, so its credentials are checked again: every few seconds (a token that expired),
 * and at once when identity says a key was revoked or a user deleted or given another role (ChangeFeed).
 * A socket whose credentials no longer hold gets `auth.revoked` and is disconnected; one whose role changed
 * carries the new role from then on. A check that fails for another reason (the database is down) keeps the
 * socket: an outage must not cut every live feed.
 */
@WebSocketGateway({ namespace: PROGRESS_NAMESPACE })
export class ProgressGateway implements OnGatewayInit<ProgressNamespace>, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ProgressGateway.name);
  @WebSocketServer() private readonly server?: ProgressNamespace;
  private subscriber?: Redis;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private sweepAgain = false;

  constructor(
    private readonly authenticator: ProgressAuthenticator,
    private readonly counters: JobCountersReader,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly changes: ChangeFeed,
  ) {}

  afterInit(server: ProgressNamespace): void {
    server.use((socket, next) => {
      this.authenticator.authenticate(credentialsFromHandshake(socket.handshake)).then(
        (principal) => {
          if (!principal) return next(new Error('unauthorized'));
          socket.data.principal = principal;
          socket.data.credentials = credentialsFromHandshake(socket.handshake);
          next();
        },
        (err: Error) => {
          this.logger.error(`Progress feed handshake failed: ${err.message}`);
          next(new Error('unavailable'));
        },
      );
    });
    this.sweepTimer = setInterval(() => void this.recheck(), this.config.socketReauthIntervalMs);
    this.sweepTimer.unref();
  }

  /**
   * Checks every local socket's credentials again (coalesced: a request during a sweep runs one more after
   * it). Resolves when done; never rejects.
   */
  recheck(): Promise<void> {
    if (this.sweeping) {
      this.sweepAgain = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      do {
        this.sweepAgain = false;
        await this.sweep();
      } while (this.sweepAgain);
    })()
      .catch((err: Error) => this.logger.error(`Progress feed credential sweep failed: ${err.message}`))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweep(): Promise<void> {
    if (!this.server) return;
    // Sockets sharing credentials (one user's tabs, one key's clients) are checked once.
    const byCredential = new Map<string, { credentials: HandshakeCredentials; sockets: ProgressSocket[] }>();
    for (const socket of this.server.sockets.values()) {
      const credentials = socket.data.credentials;
      if (!credentials) continue;
      const id = `${credentials.token ?? ''}\u0000${credentials.apiKey ?? ''}`;
      const group = byCredential.get(id) ?? { credentials, sockets: [] };
      group.sockets.push(socket);
      byCredential.set(id, group);
    }
    const groups = [...byCredential.values()];
    for (let i = 0; i < groups.length; i += SWEEP_CONCURRENCY) {
      await Promise.all(groups.slice(i, i + SWEEP_CONCURRENCY).map((g) => this.recheckGroup(g.credentials, g.sockets)));
    }
  }

  private async recheckGroup(credentials: HandshakeCredentials, sockets: ProgressSocket[]): Promise<void> {
    let principal: Principal | null;
    try {
      principal = await this.authenticator.authenticate(credentials);
    } catch (err) {
      this.logger.warn(`Progress feed: could not re-check a socket's credentials (${(err as Error).message}); kept until the next sweep`);
      return;
    }
    for (const socket of sockets) {
      const before = socket.data.principal;
      if (!principal || (before && before.tenantId !== principal.tenantId)) {
        this.logger.log(
          { tenantId: before?.tenantId, via: before?.via, apiKeyId: before?.apiKeyId, userId: before?.userId },
          'Progress socket disconnected: credentials no longer valid',
        );
        socket.emit('auth.revoked', { message: 'credentials revoked or expired' });
        socket.disconnect(true);
      } else {
        socket.data.principal = principal;
      }
    }
  }

  /** Alerts are published once per installation on EVENTS_CHANNEL, which every API instance receives. */
  async onModuleInit(): Promise<void> {
    const subscriber = await subscriberConnection(this.redis, (err) => this.logger.warn(`Progress feed events subscriber: ${err.message}`));
    subscriber.on('message', (_channel: string, message: string) => this.relay(message));
    this.subscriber = subscriber;
    await subscriber.subscribe(EVENTS_CHANNEL);
    for (const topic of CREDENTIAL_CHANGE_TOPICS) await this.changes.subscribe(topic, () => void this.recheck());
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
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
    if (!this.server) return;
    const delivery = parseDeliveryUpdated(message);
    if (delivery) {
      const { tenantId, ...event } = delivery;
      this.server.local.to(tenantRoom(tenantId)).emit('delivery.updated', event);
      return;
    }
    const metricsAlert = parseMetricsAlert(message);
    if (metricsAlert) {
      const { tenantId, ...event } = metricsAlert;
      this.server.local.to(tenantRoom(tenantId)).emit('alert', event);
      return;
    }
    const alert = parseBudgetAlert(message);
    if (!alert) return;
    const { tenantId, threshold, spentUsd, limitUsd } = alert;
    // Local only: every instance got the same Redis message and delivers it to its own sockets; a broadcast
    // through the adapter would reach each socket once per instance.
    this.server.local.to(tenantRoom(tenantId)).emit('budget.alert', { threshold, spentUsd, limitUsd });
  }
}
