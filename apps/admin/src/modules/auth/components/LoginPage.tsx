import { useId, useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { useAccessToken } from '../../../shared/api/useAccessToken';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { useLogin } from '../hooks/useLogin';
import { AuthCard } from './AuthCard';
import type { LoginLocationState } from './RequireAuth';

function redirectTarget(state: unknown): string {
  const from = (state as LoginLocationState | null)?.from;
  // Only paths inside this app: never bounce to another origin or back to /login.
  if (typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') && !from.startsWith('/login')) {
    return from;
  }
  return '/';
}

export function LoginPage() {
  const token = useAccessToken();
  const location = useLocation();
  const navigate = useNavigate();
  const loginMutation = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const emailId = useId();
  const passwordId = useId();
  const target = redirectTarget(location.state);

  if (token && !loginMutation.isPending) {
    return <Navigate to={target} replace />;
  }

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (loginMutation.isPending) return;
    loginMutation.mutate({ email: email.trim(), password }, { onSuccess: () => void navigate(target, { replace: true }) });
  };

  return (
    <AuthCard title="Sign in to Margin">
      <p className="muted">Use the email and password of your Margin account.</p>

      <form className="form" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor={emailId}>Email</label>
          <input
            id={emailId}
            name="email"
            type="email"
            autoComplete="username"
            inputMode="email"
            required
            autoFocus
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={passwordId}>Password</label>
          <input
            id={passwordId}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>

        {loginMutation.isError ? <ErrorMessage error={loginMutation.error} /> : null}

        <button type="submit" className="button button--primary button--block" disabled={loginMutation.isPending} aria-busy={loginMutation.isPending}>
          Sign in
        </button>
        {loginMutation.isPending ? (
          <p className="muted small" role="status">
            Signing in…
          </p>
        ) : null}
      </form>
    </AuthCard>
  );
}
