import { RequestMethod } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { RedisIoAdapter, STREAMED_BODY_ROUTES } from '@margin/analysis';
import { AppConfig, assertJsonDepth, isOpenAiPath, SafeValidationPipe } from '@margin/core';
import { RAW_BODY_ROUTES } from '@margin/metrics';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { ApiExceptionFilter } from './http-errors';

export const API_PREFIX = 'api/v1';

/** Everything main.ts and the test harness both need, so that tests run the app exactly as production does. */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get(AppConfig);
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.use(helmet());
  // Job submissions stream their JSON body through the controller (a 100,000-item job is never in memory whole).
  const streamed = new Set(STREAMED_BODY_ROUTES.map((r) => `/${API_PREFIX}/${r}`));
  const streamsItsBody = (req: Request) => req.method === 'POST' && streamed.has((req.url.split('?')[0] ?? '').replace(/\/+$/, ''));
  const rawBodied = new Set(RAW_BODY_ROUTES.map((r) => `/${API_PREFIX}/${r}`));
  const keepsRawBody = (req: Request) => rawBodied.has((req.url.split('?')[0] ?? '').replace(/\/+$/, ''));
  app.useBodyParser('json', {
    limit: config.bodyLimit,
    // body-parser's own default type, except on those routes
    type: (req: Request) => /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '') && !streamsItsBody(req),
    // Before JSON.parse: nesting deeper than MAX_JSON_DEPTH is a 400, never a parse and a recursion that overflows.
    // Signature checks (the Stripe webhook) need the bytes as sent: those routes also keep them on req.rawBody.
    verify: (req: Request, _res: Response, raw: Buffer) => {
      assertJsonDepth(raw);
      if (keepsRawBody(req)) (req as Request & { rawBody?: Buffer }).rawBody = raw;
    },
  });
  // /v1 speaks JSON only: another media type with a body is a 415 (in OpenAI's shape), never an empty body's 400.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || !isOpenAiPath(req.path)) return next();
    const type = req.headers['content-type'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody || (type !== undefined && /^application\/json\s*(;|$)/i.test(type))) return next();
    next(Object.assign(new Error(`Unsupported Content-Type ${JSON.stringify(type ?? '')}: /v1 takes application/json`), { status: 415, expose: true }));
  });
  // qs's own depth limit (32) keeps urlencoded nesting shallow; the global pipe checks what it built.
  app.useBodyParser('urlencoded', { limit: config.bodyLimit, extended: true, depth: 32 });
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.ALL },
      { path: 'metrics', method: RequestMethod.ALL },
      // The OpenAI-compatible gateway lives at /v1, where OpenAI clients expect it.
      { path: 'v1/chat/completions', method: RequestMethod.ALL },
      { path: 'v1/models', method: RequestMethod.ALL },
      // …and the rest of /v1 (responses, embeddings, completions, models/{id}; unknown /v1 routes 404 in OpenAI's shape)
      { path: 'v1/{*path}', method: RequestMethod.ALL },
      // The own blog's public pages and feeds live at /blog/:tenantSlug, where readers and feed readers expect them.
      { path: 'blog/{*path}', method: RequestMethod.ALL },
    ],
  });
  app.useGlobalPipes(new SafeValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  const filter = new ApiExceptionFilter();
  app.useGlobalFilters(filter);
  // Body-parser failures (bad JSON, corrupt or unknown Content-Encoding, 413) happen before Nest's routing: give
  // them the same JSON shape (OpenAI's under /v1).
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    filter.catch(err, {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res, getNext: () => next }),
    } as never);
  });
  // Signals are handled by main.ts (installGracefulShutdown: close within a deadline, then exit), not by
  // Nest's enableShutdownHooks, whose handler waits for close() forever: a hung API then ignored SIGTERM.
  // socket.io (the progress feed) on the API's own port, fanned out across API instances through Redis. The
  // adapter works at once (ioredis queues until connected); connection errors are logged by the adapter.
  const ws = new RedisIoAdapter(app, config.redisUrl);
  ws.connectToRedis().catch(() => undefined);
  app.useWebSocketAdapter(ws);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Margin API')
      .setDescription('Route AI analysis and content jobs at the lowest cost that meets a quality bar.')
      .setVersion('1')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', name: 'X-API-Key', in: 'header' }, 'api-key')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  return app;
}
