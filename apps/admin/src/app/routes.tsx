import type { RouteObject } from 'react-router-dom';
import { ApiKeysPage } from '../modules/api-keys/components/ApiKeysPage';
import { ConfirmSignupPage } from '../modules/auth/components/ConfirmSignupPage';
import { LoginPage } from '../modules/auth/components/LoginPage';
import { RequireAuth } from '../modules/auth/components/RequireAuth';
import { DashboardPage } from '../modules/dashboard/components/DashboardPage';
import { CostsPage } from '../modules/costs/components/CostsPage';
import { JobDetailPage } from '../modules/jobs/components/JobDetailPage';
import { JobsPage } from '../modules/jobs/components/JobsPage';
import { NewJobPage } from '../modules/jobs/components/NewJobPage';
import { EndpointsPage } from '../modules/publishing/components/EndpointsPage';
import { PostEditorPage } from '../modules/publishing/components/PostEditorPage';
import { PostsPage } from '../modules/publishing/components/PostsPage';
import { AlertsPage } from '../modules/metrics/components/AlertsPage';
import { NewRequestPage } from '../modules/plans/components/NewRequestPage';
import { PlanDetailPage } from '../modules/plans/components/PlanDetailPage';
import { RequestsPage } from '../modules/plans/components/RequestsPage';
import { KpiPage } from '../modules/metrics/components/KpiPage';
import { RouterPage } from '../modules/router/components/RouterPage';
import { SettingsPage } from '../modules/settings/components/SettingsPage';
import { AppShell } from '../modules/shell/components/AppShell';
import { AbTestsPage } from '../modules/training/components/AbTestsPage';
import { EvalsPage } from '../modules/training/components/EvalsPage';
import { TrainingPage } from '../modules/training/components/TrainingPage';
import { NotFoundPage } from '../modules/shell/components/NotFoundPage';

/** Every route of the admin SPA. */
export const routes: RouteObject[] = [
  { path: '/login', element: <LoginPage /> },
  { path: '/signup/confirm', element: <ConfirmSignupPage /> },
  {
    path: '/',
    element: (
      <RequireAuth>
        <AppShell />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <DashboardPage /> },
      { path: 'jobs', element: <JobsPage /> },
      { path: 'jobs/new', element: <NewJobPage /> },
      { path: 'jobs/:id', element: <JobDetailPage /> },
      { path: 'requests', element: <RequestsPage /> },
      { path: 'requests/new', element: <NewRequestPage /> },
      { path: 'requests/:id', element: <PlanDetailPage /> },
      { path: 'posts', element: <PostsPage /> },
      { path: 'posts/new', element: <PostEditorPage /> },
      { path: 'posts/:id', element: <PostEditorPage /> },
      { path: 'endpoints', element: <EndpointsPage /> },
      { path: 'costs', element: <CostsPage /> },
      { path: 'kpis', element: <KpiPage /> },
      { path: 'alerts', element: <AlertsPage /> },
      { path: 'router', element: <RouterPage /> },
      { path: 'training', element: <TrainingPage /> },
      { path: 'evals', element: <EvalsPage /> },
      { path: 'ab-tests', element: <AbTestsPage /> },
      { path: 'api-keys', element: <ApiKeysPage /> },
      { path: 'settings', element: <SettingsPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
