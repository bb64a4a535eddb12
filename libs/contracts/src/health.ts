export type HealthState = 'up' | 'down';

export interface HealthIndicatorResult {
  [key: string]: { status: HealthState; [detail: string]: unknown };
}

/** The shape @nestjs/terminus answers /health with. */
export interface HealthResponse {
  status: 'ok' | 'error' | 'shutting_down';
  info?: HealthIndicatorResult;
  error?: HealthIndicatorResult;
  details: HealthIndicatorResult;
}
