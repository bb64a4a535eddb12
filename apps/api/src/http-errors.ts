import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { AllExceptionsFilter } from '@margin/core';
import { OpenAiErrorFilter } from '@margin/model-router';
import type { Request } from 'express';

/** Whether a request is for the OpenAI-compatible gateway, whose clients expect OpenAI's error shape. */
export function isGatewayPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

/**
 * The one global filter: OpenAI's error shape under /v1 (unknown /v1 routes, body-parser errors, guards),
 * Nest's shape everywhere else. Errors raised inside the gateway's controller are caught by its own filter.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly api = new AllExceptionsFilter();
  private readonly openAi = new OpenAiErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const path = host.getType() === 'http' ? (host.switchToHttp().getRequest<Request>().path ?? '') : '';
    if (isGatewayPath(path)) this.openAi.catch(exception, host);
    else this.api.catch(exception, host);
  }
}
