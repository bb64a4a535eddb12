import { useMutation, useQueryClient } from '@tanstack/react-query';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { confirmSignup } from '../api/authApi';

/** Confirms a sign-up and starts the new owner's session, as a login does. */
export function useConfirmSignup() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => confirmSignup(token),
    onSuccess: (response) => {
      queryClient.removeQueries();
      setAccessToken(response.accessToken, response.expiresIn);
    },
  });
}
