// Progress sockets are not trusted for life: credentials that stop holding (a key revoked, a user deleted, a
// token expired) cut the socket within seconds; a check that cannot run (database down) keeps it.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PROGRESS_NAMESPACE } from '@margin/contracts';
import { ChangeFeed, ConfigModule, RedisModule } from '@margin/core';
import type { Principal } from '@margin/identity';
import { TEST_REDIS_URL, testConfig } from '@margin/testing';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { JobCountersReader } from './job-counters.reader';
import { type HandshakeCredentials, ProgressAuthenticator } from './progress-authenticator';
import { ProgressGateway } from './progress.gateway';

const principal = (via: Principal['via']): Principal => ({
  tenantId: randomUUID(),
  role: 'member',
  userId: randomUUID(),
  apiKeyId: via === 'api-key' ? randomUUID() : null,
  via,
  operator: false,
});

/** Stands in for AuthService: credentials the test can revoke, and a switch that makes the check fail. */
class RevocableAuthenticator extends ProgressAuthenticator {
  readonly valid = new Map<string, Principal>();
  failing = false;
  calls = 0;
  readonly callsFor = new Map<string, number>();
  async authenticate({ token, apiKey }: HandshakeCredentials): Promise<Principal | null> {
    this.calls++;
    this.callsFor.set(token ?? apiKey ?? '', (this.callsFor.get(token ?? apiKey ?? '') ?? 0) + 1);
    if (this.failing) throw new Error('connection terminated');
    return this.valid.get(token ?? apiKey ?? '') ?? null;
  }
}

class NoJobs extends JobCountersReader {
  async counters(): Promise<null> {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Progress feed: credentials are checked again while a socket is open', () => {
  const auth = new RevocableAuthenticator();
  let app: INestApplication;
  let port: number;
  const clients: Socket[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(testConfig({ REDIS_URL: TEST_REDIS_URL, SOCKET_REAUTH_INTERVAL_SECONDS: '1' })), RedisModule],
      providers: [ProgressGateway, { provide: ProgressAuthenticator, useValue: auth }, { provide: JobCountersReader, useClass: NoJobs }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await app.close();
  });
  afterEach(() => {
    auth.failing = false;
  });

  /** A connected socket, with when it was cut (and whether `auth.revoked` came first). */
  async function connect(credentials: Record<string, string>) {
    const socket = io(`http://127.0.0.1:${port}${PROGRESS_NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: credentials });
    clients.push(socket);
    const state = { revokedAt: 0, disconnectedAt: 0, reason: '' };
    socket.on('auth.revoked', () => (state.revokedAt = Date.now()));
    socket.on('disconnect', (reason) => {
      state.disconnectedAt = Date.now();
      state.reason = reason;
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return { socket, state };
  }

  async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out');
      await sleep(20);
    }
  }

  it('a revoked API key’s socket is cut as soon as identity says so (change feed), with auth.revoked first', async () => {
    const key = `mk_${randomUUID()}`;
    auth.valid.set(key, principal('api-key'));
    const kept = `mk_${randomUUID()}`;
    auth.valid.set(kept, principal('api-key'));
    const { socket, state } = await connect({ apiKey: key });
    const other = await connect({ apiKey: kept });
    expect(await socket.timeout(2000).emitWithAck('subscribe', {})).toEqual({ ok: true });

    auth.valid.delete(key);
    const revokedAt = Date.now();
    await app.get(ChangeFeed).publish('api-keys');
    await waitFor(() => state.disconnectedAt > 0, 5_000);
    expect(state.reason).toBe('io server disconnect');
    expect(state.revokedAt).toBeGreaterThan(0);
    expect(state.revokedAt).toBeLessThanOrEqual(state.disconnectedAt);
    expect(state.disconnectedAt - revokedAt).toBeLessThan(5_000);
    // the other key's socket is untouched
    expect(other.socket.connected).toBe(true);
    expect(await other.socket.timeout(2000).emitWithAck('subscribe', {})).toEqual({ ok: true });
  });

  it('an expired token or a deleted user is noticed by the periodic sweep alone (no event needed)', async () => {
    const token = `jwt-${randomUUID()}`;
    auth.valid.set(token, principal('jwt'));
    const { state } = await connect({ token });
    await sleep(1_500); // at least one sweep while still valid: kept
    expect(state.disconnectedAt).toBe(0);
    auth.valid.delete(token); // expired, or its user deleted
    await waitFor(() => state.disconnectedAt > 0, 5_000);
    expect(state.revokedAt).toBeGreaterThan(0);
  });

  it('a check that cannot run (database down) keeps the socket; it is cut once a check says no', async () => {
    const token = `jwt-${randomUUID()}`;
    auth.valid.set(token, principal('jwt'));
    const { socket, state } = await connect({ token });
    auth.failing = true;
    const before = auth.calls;
    await waitFor(() => auth.calls >= before + 2, 5_000); // two sweeps failed
    expect(socket.connected).toBe(true);
    auth.valid.delete(token);
    auth.failing = false;
    await waitFor(() => state.disconnectedAt > 0, 5_000);
  });

  it('many sockets with the same credentials are checked once per sweep', async () => {
    const key = `mk_${randomUUID()}`;
    auth.valid.set(key, principal('api-key'));
    const sockets = await Promise.all(Array.from({ length: 5 }, () => connect({ apiKey: key })));
    const gateway = app.get(ProgressGateway);
    await gateway.recheck(); // let any sweep in progress end
    const before = auth.callsFor.get(key) ?? 0;
    await gateway.recheck();
    // one check per sweep for the five sockets (two if the periodic sweep ran meanwhile), not five
    expect((auth.callsFor.get(key) ?? 0) - before).toBeGreaterThanOrEqual(1);
    expect((auth.callsFor.get(key) ?? 0) - before).toBeLessThanOrEqual(2);
    expect(sockets.every((s) => s.socket.connected)).toBe(true);
  });
});
