import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, useRoutes } from 'react-router-dom';
import { SessionCacheReset } from '../modules/auth/components/SessionCacheReset';
import { createQueryClient } from './queryClient';
import { routes } from './routes';

export function AppRoutes() {
  return useRoutes(routes);
}

interface AppProps {
  queryClient?: QueryClient;
}

export function App({ queryClient }: AppProps) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  return (
    <QueryClientProvider client={client}>
      <SessionCacheReset />
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </QueryClientProvider>
  );
}
