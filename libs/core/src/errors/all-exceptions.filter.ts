import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { ApiErrorBody } from '@margin/contracts';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { databaseUnavailable } from '../database/database-errors';
import { DomainError } from './domain-error';

/** Express/body-parser errors carry their HTTP status (413 too large, 400 bad JSON, 415 charset). */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/**
 * Every error leaves the API in Nest's shape `{statusCode, error, message}`; a 500 also carries an `errorId`
 * that is logged with the stack, so that a user's report can be matched to the log line.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const { status, body, retryAfter } = this.toBody(exception, req);
    if (res.headersSent) {
      res.end();
      return;
    }
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res.status(status).json(body);
  }

  private toBody(exception: unknown, req: Request): { status: number; body: ApiErrorBody; retryAfter?: number } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const body: ApiErrorBody =
        typeof response === 'string'
          ? { statusCode: status, error: reasonPhrase(status), message: response }
          : {
              statusCode: status,
              error: (response as Partial<ApiErrorBody>).error ?? reasonPhrase(status),
              message: (response as Partial<ApiErrorBody>).message ?? exception.message,
            };
      if (status >= 500) return this.internal(exception, req, status);
      return { status, body };
    }
    if (exception instanceof DomainError) {
      return {
        status: exception.httpStatus,
        body: {
          statusCode: exception.httpStatus,
          error: reasonPhrase(exception.httpStatus),
          message: exception.details ?? exception.message,
          code: exception.code,
        },
        retryAfter: exception.retryAfterSeconds,
      };
    }
    const db = databaseUnavailable(exception);
    if (db) {
      this.logger.warn({ method: req.method, path: req.path, reason: db.reason }, 'Database unavailable: answered 503');
      const message =
        db.reason === 'pool-timeout'
          ? 'The service is busy: no database connection freed up in time; retry shortly'
          : 'The database is unavailable right now; retry shortly';
      return { status: 503, body: { statusCode: 503, error: reasonPhrase(503), message, code: 'database_unavailable' }, retryAfter: db.retryAfterSeconds };
    }
    const httpish = exception as HttpishError | null;
    const status = httpish?.status ?? httpish?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && httpish?.expose !== false) {
      return { status, body: { statusCode: status, error: reasonPhrase(status), message: httpish?.message ?? reasonPhrase(status) } };
    }
    return this.internal(exception, req, HttpStatus.INTERNAL_SERVER_ERROR);
  }

  private internal(exception: unknown, req: Request, status: number): { status: number; body: ApiErrorBody } {
    const errorId = randomUUID();
    const err = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error({ errorId, method: req.method, path: req.path, err }, `Unhandled error ${errorId}: ${err.message}`);
    return {
      status,
      body: { statusCode: status, error: reasonPhrase(status), message: 'Internal server error', errorId },
    };
  }
}
