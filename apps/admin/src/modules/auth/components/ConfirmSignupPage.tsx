import { useEffect, useRef } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { useConfirmSignup } from '../hooks/useConfirmSignup';

/** Where the sign-up mail's link lands: the token is sent once, then the new owner is in the dashboard. */
export function ConfirmSignupPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const confirm = useConfirmSignup();
  const sent = useRef(false);

  useEffect(() => {
    if (sent.current || !token) return;
    sent.current = true; // a link works once: never send it twice (StrictMode runs effects twice)
    confirm.mutate(token, { onSuccess: () => void navigate('/', { replace: true }) });
  }, [token, confirm, navigate]);

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand brand--dark" aria-hidden="true">
          <span className="brand__mark">M</span> Margin
        </p>
        <h1 className="auth-card__title">Finish signing up</h1>
        {!token ? <p role="alert">This link has no token. Open the link from your sign-up mail again.</p> : null}
        {token && !confirm.isError ? (
          <p className="muted" role="status">
            Creating your account…
          </p>
        ) : null}
        {confirm.isError ? (
          <>
            <ErrorMessage error={confirm.error} />
            <p className="muted">
              <Link to="/login">Sign in</Link> if your account already exists.
            </p>
          </>
        ) : null}
      </div>
    </main>
  );
}
