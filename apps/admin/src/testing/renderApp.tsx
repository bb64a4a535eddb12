import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { AppRoutes } from '../app/App';
import { SessionCacheReset } from '../modules/auth/components/SessionCacheReset';

export function testQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, gcTime: Infinity },
      mutations: { retry: false },
    },
  });
}

/** The whole app (routes, guards, shell) at `route`, as a user would land on it. */
export function renderApp(route: string, queryClient: QueryClient = testQueryClient()): RenderResult {
  return render(
    <QueryClientProvider client={queryClient}>
      <SessionCacheReset />
      <MemoryRouter initialEntries={[route]}>
        <AppRoutes />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}
