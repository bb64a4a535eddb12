import { useEffect, useRef } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { useConfirmSignup } from '../hooks/useConfirmSignup';
import { AuthCard } from './AuthCard';

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
    <AuthCard title="Finish signing up">
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
    </AuthCard>
  );
}
