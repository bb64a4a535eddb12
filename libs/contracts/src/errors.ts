/** The error body every API route answers with (Nest's shape), plus an errorId on 500s. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  errorId?: string;
}
