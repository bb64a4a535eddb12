import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError } from '@margin/core';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  502: 'api_error',
  503: 'api_error',
};

/** /v1 speaks OpenAI's error shape, so that OpenAI clients show Margin's messages as they show OpenAI's. */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(OpenAiErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status = 500;
    let message = 'Internal server error';
    let code: string | null = null;
    let retryAfter: number | undefined;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      const m = typeof body === 'string' ? body : (body as { message?: string | string[] }).message;
      message = Array.isArray(m) ? m.join('; ') : (m ?? exception.message);
    } else if (exception instanceof DomainError) {
      status = exception.httpStatus;
      message = exception.message;
      code = exception.code;
      retryAfter = exception.retryAfterSeconds;
    } else {
      // Express/body-parser errors (bad JSON, corrupt or unknown Content-Encoding, too large) carry their status.
      const httpish = exception as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown } | null;
      const s = httpish?.status ?? httpish?.statusCode;
      if (typeof s === 'number' && s >= 400 && s < 500 && httpish?.expose !== false) {
        status = s;
        message = typeof httpish?.message === 'string' ? httpish.message : 'Bad request';
      }
    }
    if (status >= 500 && !(exception instanceof DomainError)) {
      const errorId = randomUUID();
      this.logger.error({ errorId, err: exception }, `Unhandled gateway error ${errorId}`);
      message = `Internal server error (errorId ${errorId})`;
    }
    if (res.headersSent) {
      // Mid-stream: the status is gone already; say it in the stream and close it.
      res.write(`data: ${JSON.stringify({ error: { message, type: TYPES[status] ?? 'api_error', code } })}\n\n`);
      res.end();
      return;
    }
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res.status(status).json({ error: { message, type: TYPES[status] ?? 'api_error', param: null, code } });
  }
}
