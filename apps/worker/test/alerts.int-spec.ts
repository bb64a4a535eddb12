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
});
