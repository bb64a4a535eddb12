import { useCallback } from 'react';
import { useNavigate } from 'react-router-dom';
import { clearAccessToken } from '../../../shared/api/tokenStore';

/** Ends the session; SessionCacheReset drops the cached server state once the token is gone. */
export function useSignOut(): () => void {
  const navigate = useNavigate();
  return useCallback(() => {
    clearAccessToken();
    void navigate('/login', { replace: true });
  }, [navigate]);
}
