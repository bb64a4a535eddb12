import { ApiError } from '../api/client';

export function errorMessagesOf(error: unknown): string[] {
  if (error instanceof ApiError) return error.messages;
  if (error instanceof Error && error.message) return [error.message];
  return ['Something went wrong.'];
}

interface ErrorMessageProps {
  error: unknown;
  /** Says what failed, e.g. "Could not load API keys." */
  title?: string;
  onRetry?: () => void;
}

export function ErrorMessage({ error, title, onRetry }: ErrorMessageProps) {
  const messages = errorMessagesOf(error);
  return (
    <div className="notice notice--error" role="alert">
      {title ? <p className="notice__title">{title}</p> : null}
      {messages.length === 1 ? (
        <p>{messages[0]}</p>
      ) : (
        <ul>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {onRetry ? (
        <button type="button" className="button button--secondary button--small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
