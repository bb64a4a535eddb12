import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError, openAiErrorBody, openAiShouldRetry } from '@margin/core';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';

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
    let param: string | null = null;
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
      // errors about one request field name it (OpenAI's `param`)
      const named = (exception as { param?: unknown }).param;
      if (typeof named === 'string') param = named;
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
      res.write(`data: ${JSON.stringify(openAiErrorBody(status, message, code))}\n\n`);
      res.end();
      return;
    }
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res.setHeader('x-should-retry', openAiShouldRetry(status));
    res.status(status).json(openAiErrorBody(status, message, code, param ?? (code === 'context_length_exceeded' ? 'messages' : null)));
  }
}
