import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { DomainError, isOpenAiPath } from '@margin/core';
import type { Principal } from '@margin/identity';
import type { Request, Response } from 'express';
import { defer, from, mergeMap, of, tap, type Observable } from 'rxjs';
import { InvalidParamError } from './gateway-support';
import { FAILED_STREAM } from './responses.controller';
import { IDEMPOTENCY_MAX_BODY_BYTES, IdempotencyStore, requestFingerprint, type StoredAnswer } from './idempotency.store';

/** The same key came with a different request: a client bug, which no retry fixes. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'idempotency_key_reused';
  readonly httpStatus = 409;
  readonly param = 'Idempotency-Key';
  readonly shouldRetry = false;
  constructor() {
    super('This Idempotency-Key was used with a different request in the last 24 hours: send a new key for a new request');
  }
}

/** The first request with this key is still running: retry shortly (the SDKs do, honouring Retry-After) to get its answer. */
export class IdempotencyInFlightError extends DomainError {
  readonly code = 'idempotency_request_in_progress';
  readonly httpStatus = 409;
  readonly param = 'Idempotency-Key';
  readonly shouldRetry = true;
  override readonly retryAfterSeconds = 1;
  constructor() {
    super('A request with this Idempotency-Key is still in progress: retry in a moment to get its answer');
  }
}

/** Headers of the answer that a replay repeats (the rest are per response: date, request ids). */
const REPLAYED_HEADERS = [
  'content-type',
  'cache-control',
  'x-margin-model',
  'x-margin-provider',
  'x-margin-cost-usd',
  'x-margin-emulated',
  'x-margin-fallback-from',
];

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on /v1 POSTs. The first request claims the key (per tenant, 24 h) and its answer — a 2xx,
 * streamed or not — is stored as sent; a repeat with the same body gets that answer again (`Idempotent-Replayed:
 * true`) and runs nothing, so nothing is booked twice. A different body with the same key is a 409 that is not
 * to be retried; a repeat while the first is still running is a 409 with `Retry-After: 1` that the SDKs retry,
 * getting the stored answer once the first finishes. Errors and cut streams free the key: a retry runs again.
 * Handlers behind it write their answer to the response themselves (`@Res()`), as every /v1 POST does.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const res = context.switchToHttp().getResponse<Response>();
    const header = req.headers['idempotency-key'];
    if (req.method !== 'POST' || !isOpenAiPath(req.path) || header === undefined || !req.user) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined || !KEY_PATTERN.test(key)) {
      throw new InvalidParamError('Idempotency-Key', 'The Idempotency-Key header must be 1 to 255 visible ASCII characters', 'invalid_idempotency_key');
    }
    const tenantId = req.user.tenantId;
    const fingerprint = requestFingerprint(req.method, req.path, req.body);
    return from(this.store.claim(tenantId, key, fingerprint)).pipe(
      mergeMap((claim) => {
        switch (claim.kind) {
          case 'mismatch':
            throw new IdempotencyKeyReusedError();
          case 'in_flight':
            throw new IdempotencyInFlightError();
          case 'replay':
            this.replay(res, claim.answer);
            return of(undefined);
          case 'claimed':
            return defer(() => {
              const captured = this.capture(res);
              let failed = false;
              res.once('close', () => {
                const answer = captured();
                const keep =
                  !failed &&
                  res.locals[FAILED_STREAM] !== true &&
                  res.writableFinished &&
                  answer.status >= 200 &&
                  answer.status < 300 &&
                  answer.body.length <= IDEMPOTENCY_MAX_BODY_BYTES;
                const settled = keep ? this.store.complete(tenantId, key, fingerprint, claim.token, answer) : this.store.release(tenantId, key, claim.token);
                settled.catch((err: Error) => this.logger.error({ err }, `idempotency record not settled: ${err.message}`));
              });
              return next.handle().pipe(tap({ error: () => (failed = true) }));
            });
        }
      }),
    );
  }

  private replay(res: Response, answer: StoredAnswer): void {
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.setHeader('Idempotent-Replayed', 'true');
    res.status(answer.status).end(answer.body);
  }

  /** Records what the handler writes; the returned function gives the answer as sent. */
  private capture(res: Response): () => StoredAnswer {
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function' || size > IDEMPOTENCY_MAX_BODY_BYTES) return;
      const buf = Buffer.isBuffer(chunk)
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk)
          : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      size += buf.length;
      chunks.push(buf);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as Response['write'];
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return end(...args);
    }) as Response['end'];
    return () => {
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const v = res.getHeader(name);
        if (v !== undefined) headers[name] = String(v);
      }
      return { status: res.statusCode, headers, body: Buffer.concat(chunks) };
    };
  }
}
