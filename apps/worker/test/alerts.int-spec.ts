// Alert rules evaluated by the worker: a queue passing its threshold opens one incident, notified once on the
// progress feed and once to the tenant's signed webhook however often it is evaluated; it resolves once too.
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EVENTS_CHANNEL } from '@margin/contracts';
import { SecretBox } from '@margin/core';
import { AlertEvaluator, alertSignature } from '@margin/metrics';
import { makeTenant, testConfig } from '@margin/testing';
import IORedis from 'ioredis';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../src/worker.module';

describe('alert evaluation (worker)', () => {
  let app: INestApplicationContext;
  let receiver: Server;
  let url: string;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
  let status = 200;
  let sub: IORedis;
  const events: unknown[] = [];
  const SECRET = 'alert-webhook-secret-0123456789';

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const config = testConfig({ WORKER_CONCURRENCY: '1', OUTBOUND_ALLOW_LOOPBACK: 'true' });
    const redis = new IORedis(config.redisUrl);
    await redis.flushdb();
    redis.disconnect();
    sub = new IORedis(config.redisUrl);
    await sub.subscribe(EVENTS_CHANNEL);
    sub.on('message', (_c, m: string) => events.push(JSON.parse(m)));
    app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
    await app.init();
    // the worker's own queue processing must not drain the fake backlog: the analysis queue is only measured here
  });
  afterAll(async () => {
    await app.close();
    sub.disconnect();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('fires once to the socket and the signed webhook, stays quiet while firing, resolves once; a failed delivery is retried', async () => {
    const db = app.get(DataSource);
    const tenant = await makeTenant(db);
    const secret = app.get(SecretBox).encrypt(SECRET);
    await db.query(`INSERT INTO alert_rules (tenant_id, rules, webhook_url, webhook_secret) VALUES ($1, $2, $3, $4)`, [
      tenant.id,
      JSON.stringify([{ id: 'backlog', kind: 'queue_depth', enabled: true, threshold: 2, queue: 'analysis' }]),
      url,
      secret,
    ]);
    const redis = new IORedis(testConfig().redisUrl);
    const evaluator = app.get(AlertEvaluator);
    try {
      // Bull's delayed set of the analysis queue (no repeatable jobs live there; the maintenance queue holds the training retention job): three jobs waiting there is a depth of 3
      await redis.zadd('margin:analysis:delayed', 9e15, 'x1', 9e15, 'x2', 9e15, 'x3');
      status = 500; // the first delivery fails: retried on the next evaluation
      expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 1, resolved: 0 });
      expect(received).toHaveLength(1);
      status = 200;
      expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 0, resolved: 0 });
      expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 0, resolved: 0 });
      expect(received).toHaveLength(2); // the retry, and nothing more while it keeps firing
      const firing = received[1];
      const body = JSON.parse(firing?.body ?? '{}');
      expect(body).toMatchObject({
        event: 'alert.firing',
        alert: { rule: 'backlog', kind: 'queue_depth', state: 'firing', value: 3, threshold: 2, subject: 'analysis' },
      });
      const sig = String(firing?.headers['x-margin-signature']);
      const t = Number(/^t=(\d+),v1=[0-9a-f]{64}$/.exec(sig)?.[1]);
      expect(sig).toBe(alertSignature(SECRET, firing?.body ?? '', t));

      await redis.del('margin:analysis:delayed');
      expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 0, resolved: 1 });
      expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 0, resolved: 0 });
      expect(received).toHaveLength(3);
      expect(JSON.parse(received[2]?.body ?? '{}')).toMatchObject({ event: 'alert.resolved', alert: { state: 'resolved', value: 0 } });
      await new Promise((r) => setTimeout(r, 200));
      expect(events.filter((e) => (e as { type: string }).type === 'alert')).toEqual([
        { type: 'alert', tenantId: tenant.id, rule: 'backlog', state: 'firing', value: 3, subject: 'analysis' },
        { type: 'alert', tenantId: tenant.id, rule: 'backlog', state: 'resolved', value: 0, subject: 'analysis' },
      ]);
      const rows = await db.query(`SELECT state, value FROM alerts WHERE tenant_id = $1`, [tenant.id]);
      expect(rows).toEqual([{ state: 'resolved', value: 0 }]);
    } finally {
      redis.disconnect();
    }
  });

  it('first result slower than a target: the slowest job of the window (a job still waiting counts), one incident, resolved once', async () => {
    const db = app.get(DataSource);
    const tenant = await makeTenant(db);
    const other = await makeTenant(db);
    await db.query(`INSERT INTO alert_rules (tenant_id, rules) VALUES ($1, $2)`, [
      tenant.id,
      JSON.stringify([{ id: 'slow-first', kind: 'first_result_latency', enabled: true, threshold: 40, windowMinutes: 30 }]),
    ]);
    const now = Date.now();
    const job = async (tenantId: string, createdSecondsAgo: number, status: string, firstResultAfterSeconds: number | null) => {
      const [{ id }] = await db.query(
        `INSERT INTO jobs (tenant_id, profile_key, profile_version, status, priority, total_items, created_at) VALUES ($1, 'song-analysis', 1, $2, 'medium', 2, $3) RETURNING id`,
        [tenantId, status, new Date(now - createdSecondsAgo * 1000)],
      );
      if (firstResultAfterSeconds !== null) {
        const first = new Date(now - (createdSecondsAgo - firstResultAfterSeconds) * 1000);
        await db.query(
          `INSERT INTO job_items (job_id, tenant_id, index, input, input_hash, status, finished_at) VALUES ($1, $2, 0, '{}', $3, 'completed', $4), ($1, $2, 1, '{}', $3, 'completed', $5)`,
          [id, tenantId, 'h'.repeat(64), first, new Date(first.getTime() + 30_000)],
        );
      }
      return id as string;
    };
    const slow = await job(tenant.id, 100, 'completed', 50); // first result 50 s after creation
    await job(tenant.id, 5, 'running', null); // still waiting, 5 s so far
    await job(tenant.id, 3 * 3600, 'completed', 600); // slow, but before the window
    await job(tenant.id, 200, 'failed', null); // ended without a result: not a latency
    await job(other.id, 100, 'completed', 500); // another tenant's
    const evaluator = app.get(AlertEvaluator);
    expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 1, resolved: 0 });
    expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 0, resolved: 0 });
    expect(await db.query(`SELECT kind, state, value, threshold FROM alerts WHERE tenant_id = $1`, [tenant.id])).toEqual([
      { kind: 'first_result_latency', state: 'firing', value: 50, threshold: 40 },
    ]);
    // the slow job's first result came sooner after all (a late-booked earlier item): fast again, resolved once
    await db.query(`UPDATE job_items SET finished_at = (SELECT created_at FROM jobs WHERE id = $1) + interval '12 seconds' WHERE job_id = $1 AND index = 1`, [
      slow,
    ]);
    expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 0, resolved: 1 });
    expect(await evaluator.evaluateTenant(tenant.id)).toEqual({ fired: 0, resolved: 0 });
    const [row] = await db.query(`SELECT state, value FROM alerts WHERE tenant_id = $1`, [tenant.id]);
    expect(row.state).toBe('resolved');
    expect(row.value).toBeGreaterThanOrEqual(12);
    expect(row.value).toBeLessThan(40);
  });
});
