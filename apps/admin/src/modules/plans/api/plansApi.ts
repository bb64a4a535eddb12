import type { ApprovePlanResponse, PlanAccuracyView, RequestPlanView } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const plansQueryKey = ['plans'] as const;
export const planListQueryKey = [...plansQueryKey, 'list'] as const;
export const planAccuracyQueryKey = [...plansQueryKey, 'accuracy'] as const;

export function planQueryKey(id: string) {
  return [...plansQueryKey, 'detail', id] as const;
}

/** How many recent plans the list shows (newest first). */
export const PLANS_LIMIT = 20;

/** The brief of a structured request for content (a post, an article). */
export interface PlanBrief {
  topic: string;
  audience?: string;
  tone?: string;
  keywords?: string[];
}

/** POST /plans: a sentence, or the request spelled out. */
export type CreatePlanRequest =
  | { request: string }
  | {
      profile: string;
      items?: Array<Record<string, unknown>>;
      brief?: PlanBrief;
      budgetUsd?: number;
      deadline?: string;
      endpointIds?: string[];
    };

/** PATCH /plans/:id: the plan is estimated again with the change. A step's model null goes back to the router's choice. */
export interface UpdatePlanRequest {
  budgetUsd?: number | null;
  deadline?: string | null;
  steps?: Array<{ step: string; model: string | null }>;
  answers?: Record<string, string>;
}

const planPath = (id: string) => `/plans/${encodeURIComponent(id)}`;

export function fetchPlans(signal?: AbortSignal): Promise<RequestPlanView[]> {
  return apiRequest<RequestPlanView[]>(`/plans/requests?limit=${PLANS_LIMIT}`, { signal });
}

export function fetchPlanAccuracy(signal?: AbortSignal): Promise<PlanAccuracyView> {
  return apiRequest<PlanAccuracyView>('/plans/accuracy', { signal });
}

export function fetchPlan(id: string, signal?: AbortSignal): Promise<RequestPlanView> {
  return apiRequest<RequestPlanView>(planPath(id), { signal });
}

export function createPlan(request: CreatePlanRequest): Promise<RequestPlanView> {
  return apiRequest<RequestPlanView>('/plans', { method: 'POST', body: request });
}

export function updatePlan(id: string, request: UpdatePlanRequest): Promise<RequestPlanView> {
  return apiRequest<RequestPlanView>(planPath(id), { method: 'PATCH', body: request });
}

/** 409 `plan_needs_input` / `plan_over_budget` when the plan cannot run as it stands. */
export function approvePlan(id: string): Promise<ApprovePlanResponse> {
  return apiRequest<ApprovePlanResponse>(`${planPath(id)}/approve`, { method: 'POST' });
}
