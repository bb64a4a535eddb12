import type { RouteObject } from 'react-router-dom';
import { ApiKeysPage } from '../modules/api-keys/components/ApiKeysPage';
import { LoginPage } from '../modules/auth/components/LoginPage';
import { RequireAuth } from '../modules/auth/components/RequireAuth';
import { DashboardPage } from '../modules/dashboard/components/DashboardPage';
import { AppShell } from '../modules/shell/components/AppShell';
import { NotFoundPage } from '../modules/shell/components/NotFoundPage';

/** Every route of the admin SPA. */
export const routes: RouteObject[] = [
  { path: '/login', element: <LoginPage /> },
  {
    path: '/',
    element: (
      <RequireAuth>
        <AppShell />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <DashboardPage /> },
      { path: 'api-keys', element: <ApiKeysPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
