/** The error body every API route answers with (Nest's shape), plus an errorId on 500s. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  /** Machine-readable reason for domain errors (e.g. `database_unavailable`, `quota_exceeded`). */
  code?: string;
  errorId?: string;
}
