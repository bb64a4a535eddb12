import type { LoginRequest } from '@margin/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { login } from '../api/authApi';

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (credentials: LoginRequest) => login(credentials),
    onSuccess: (response) => {
      // Nothing cached under a previous session may leak into this one.
      queryClient.removeQueries();
      setAccessToken(response.accessToken, response.expiresIn);
    },
  });
}
