import type {
  AbReportView,
  CreateDatasetRequest,
  CreateEvalRunRequest,
  CreateEvalSetRequest,
  DatasetView,
  EvalCompareView,
  EvalRunView,
  EvalSetView,
  EvaluatePromotionRequest,
  ExampleFiltersQuery,
  ExportFormat,
  FeedbackRequest,
  FeedbackView,
  Page,
  PromotionView,
  TrainingExampleView,
  TrainingSettingsView,
  UpdateTrainingSettingsRequest,
} from '@margin/contracts';
import { apiDownload, apiRequest } from '../../../shared/api/client';
import { exportSearch, toSearch, type ExportOptions } from '../types/exampleFilters';

export const trainingQueryKey = ['training'] as const;
export const examplesQueryKey = [...trainingQueryKey, 'examples'] as const;
export const datasetsQueryKey = [...trainingQueryKey, 'datasets'] as const;
export const trainingSettingsQueryKey = [...trainingQueryKey, 'settings'] as const;
export const evalsQueryKey = [...trainingQueryKey, 'evals'] as const;
export const abQueryKey = [...trainingQueryKey, 'ab'] as const;
export const itemFeedbackQueryKey = (itemId: string) => [...trainingQueryKey, 'item-feedback', itemId] as const;

export const EXAMPLES_PAGE_SIZE = 25;

export function fetchExamples(filters: ExampleFiltersQuery, cursor: string | undefined, signal?: AbortSignal): Promise<Page<TrainingExampleView>> {
  return apiRequest<Page<TrainingExampleView>>(`/training/examples${toSearch({ ...filters, limit: EXAMPLES_PAGE_SIZE, cursor })}`, { signal });
}

/** The examples recorded for one item (its feedback rides on each). */
export function fetchItemExamples(itemId: string, signal?: AbortSignal): Promise<Page<TrainingExampleView>> {
  return apiRequest<Page<TrainingExampleView>>(`/training/examples${toSearch({ itemId, limit: 20 })}`, { signal });
}

/** One export file, streamed by the API and read whole into a Blob. */
export function downloadExport(filters: ExampleFiltersQuery, options: ExportOptions, part?: 'train' | 'validation'): Promise<Blob> {
  return apiDownload(`/training/export${exportSearch(filters, options, part)}`);
}

export function submitFeedback(itemId: string, body: FeedbackRequest): Promise<FeedbackView> {
  return apiRequest<FeedbackView>(`/items/${encodeURIComponent(itemId)}/feedback`, { method: 'POST', body });
}

export function fetchDatasets(signal?: AbortSignal): Promise<DatasetView[]> {
  return apiRequest<DatasetView[]>('/training/datasets', { signal });
}

export function createDataset(body: CreateDatasetRequest): Promise<DatasetView> {
  return apiRequest<DatasetView>('/training/datasets', { method: 'POST', body });
}

export function downloadDataset(id: string, format?: ExportFormat): Promise<Blob> {
  return apiDownload(`/training/datasets/${encodeURIComponent(id)}/export${toSearch({ format })}`);
}

export function fetchTrainingSettings(signal?: AbortSignal): Promise<TrainingSettingsView> {
  return apiRequest<TrainingSettingsView>('/training/settings', { signal });
}

export function updateTrainingSettings(body: UpdateTrainingSettingsRequest): Promise<TrainingSettingsView> {
  return apiRequest<TrainingSettingsView>('/training/settings', { method: 'PUT', body });
}

export function fetchEvalSets(signal?: AbortSignal): Promise<EvalSetView[]> {
  return apiRequest<EvalSetView[]>('/training/evals', { signal });
}

export function createEvalSet(body: CreateEvalSetRequest): Promise<EvalSetView> {
  return apiRequest<EvalSetView>('/training/evals', { method: 'POST', body });
}

export function fetchEvalRuns(setId: string, signal?: AbortSignal): Promise<EvalRunView[]> {
  return apiRequest<EvalRunView[]>(`/training/evals/${encodeURIComponent(setId)}/runs`, { signal });
}

export function fetchEvalRun(setId: string, runId: string, signal?: AbortSignal): Promise<EvalRunView> {
  return apiRequest<EvalRunView>(`/training/evals/${encodeURIComponent(setId)}/runs/${encodeURIComponent(runId)}`, { signal });
}

export function startEvalRun(setId: string, body: CreateEvalRunRequest): Promise<EvalRunView> {
  return apiRequest<EvalRunView>(`/training/evals/${encodeURIComponent(setId)}/runs`, { method: 'POST', body });
}

export function compareEvalRuns(setId: string, a: string, b: string, signal?: AbortSignal): Promise<EvalCompareView> {
  return apiRequest<EvalCompareView>(`/training/evals/${encodeURIComponent(setId)}/compare${toSearch({ a, b })}`, { signal });
}

export function fetchAbReport(signal?: AbortSignal): Promise<AbReportView> {
  return apiRequest<AbReportView>('/training/ab-report', { signal });
}

export function fetchPromotions(signal?: AbortSignal): Promise<PromotionView[]> {
  return apiRequest<PromotionView[]>('/training/promotions', { signal });
}

export function evaluatePromotion(body: EvaluatePromotionRequest): Promise<PromotionView> {
  return apiRequest<PromotionView>('/training/promotions', { method: 'POST', body });
}

export function revertPromotion(id: string): Promise<PromotionView> {
  return apiRequest<PromotionView>(`/training/promotions/${encodeURIComponent(id)}/revert`, { method: 'POST' });
}
