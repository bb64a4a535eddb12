import { useQueryClient } from '@tanstack/react-query';
import type { AlertEvent, BudgetAlertEvent } from '@margin/contracts';
import { useEffect, useState } from 'react';
import { useAccessToken } from '../../../shared/api/useAccessToken';
import { budgetQueryKey } from '../../budget/api/budgetApi';
import { acquireProgressSocket, releaseProgressSocket } from '../../jobs/api/progressSocket';
import { alertsQueryKey } from '../api/metricsApi';

/**
 * Listens for `alert` and `budget.alert` on the shared progress socket (tenant-wide events reach it once a
 * component subscribed to the tenant, as the dashboard's running jobs do): refreshes the alerts and the budget,
 * and returns the latest budget alert for a notice.
 */
export function useAlertFeed(): Omit<BudgetAlertEvent, 'tenantId'> | null {
  const token = useAccessToken();
  const queryClient = useQueryClient();
  const [budgetAlert, setBudgetAlert] = useState<Omit<BudgetAlertEvent, 'tenantId'> | null>(null);

  useEffect(() => {
    if (!token) return undefined;
    const socket = acquireProgressSocket(queryClient, token);
    const onAlert = (_event: AlertEvent): void => void queryClient.invalidateQueries({ queryKey: alertsQueryKey });
    const onBudget = (event: Omit<BudgetAlertEvent, 'tenantId'>): void => {
      setBudgetAlert(event);
      void queryClient.invalidateQueries({ queryKey: budgetQueryKey });
    };
    socket.on('alert', onAlert);
    socket.on('budget.alert', onBudget);
    return () => {
      socket.off('alert', onAlert);
      socket.off('budget.alert', onBudget);
      releaseProgressSocket(queryClient, socket);
    };
  }, [token, queryClient]);

  return budgetAlert;
}
