import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateEvalRunRequest, EvalRunView, ExampleFiltersQuery, FeedbackRequest } from '@margin/contracts';
import {
  abQueryKey,
  compareEvalRuns,
  createDataset,
  createEvalSet,
  datasetsQueryKey,
  evalsQueryKey,
  evaluatePromotion,
  examplesQueryKey,
  fetchAbReport,
  fetchDatasets,
  fetchEvalRun,
  fetchEvalRuns,
  fetchEvalSets,
  fetchExamples,
  fetchItemExamples,
  fetchPromotions,
  fetchTrainingSettings,
  itemFeedbackQueryKey,
  revertPromotion,
  startEvalRun,
  submitFeedback,
  trainingSettingsQueryKey,
  updateTrainingSettings,
} from '../api/trainingApi';

/** Examples newest first, a server page at a time ("Load more" follows the API's cursor). */
export function useExamples(filters: ExampleFiltersQuery) {
  return useInfiniteQuery({
    queryKey: [...examplesQueryKey, filters],
    queryFn: ({ signal, pageParam }) => fetchExamples(filters, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    refetchOnWindowFocus: false,
  });
}

/** The item's feedback so far: it rides on the item's recorded examples. */
export function useItemFeedback(itemId: string) {
  return useQuery({
    queryKey: itemFeedbackQueryKey(itemId),
    queryFn: async ({ signal }) => {
      const page = await fetchItemExamples(itemId, signal);
      return page.data.find((example) => example.feedback !== null)?.feedback ?? null;
    },
  });
}

export function useSubmitFeedback(itemId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: FeedbackRequest) => submitFeedback(itemId, body),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: itemFeedbackQueryKey(itemId) });
      void client.invalidateQueries({ queryKey: examplesQueryKey });
    },
  });
}

export function useDatasets() {
  return useQuery({ queryKey: datasetsQueryKey, queryFn: ({ signal }) => fetchDatasets(signal) });
}

export function useCreateDataset() {
  const client = useQueryClient();
  return useMutation({ mutationFn: createDataset, onSuccess: () => client.invalidateQueries({ queryKey: datasetsQueryKey }) });
}

export function useTrainingSettings() {
  return useQuery({ queryKey: trainingSettingsQueryKey, queryFn: ({ signal }) => fetchTrainingSettings(signal) });
}

export function useUpdateTrainingSettings() {
  const client = useQueryClient();
  return useMutation({ mutationFn: updateTrainingSettings, onSuccess: (data) => client.setQueryData(trainingSettingsQueryKey, data) });
}

export function useEvalSets() {
  return useQuery({ queryKey: [...evalsQueryKey, 'sets'], queryFn: ({ signal }) => fetchEvalSets(signal) });
}

export function useCreateEvalSet() {
  const client = useQueryClient();
  return useMutation({ mutationFn: createEvalSet, onSuccess: () => client.invalidateQueries({ queryKey: [...evalsQueryKey, 'sets'] }) });
}

const unfinished = (run: EvalRunView) => run.status === 'queued' || run.status === 'running';

/** A set's runs; polled while one of them is still going. */
export function useEvalRuns(setId: string | null) {
  return useQuery({
    queryKey: [...evalsQueryKey, 'runs', setId],
    queryFn: ({ signal }) => fetchEvalRuns(setId as string, signal),
    enabled: setId !== null,
    refetchInterval: (query) => (query.state.data?.some(unfinished) ? 3000 : false),
  });
}

export function useEvalRun(setId: string, runId: string | null) {
  return useQuery({
    queryKey: [...evalsQueryKey, 'run', setId, runId],
    queryFn: ({ signal }) => fetchEvalRun(setId, runId as string, signal),
    enabled: runId !== null,
    refetchInterval: (query) => (query.state.data && unfinished(query.state.data) ? 3000 : false),
  });
}

export function useStartEvalRun(setId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateEvalRunRequest) => startEvalRun(setId, body),
    onSuccess: () => client.invalidateQueries({ queryKey: [...evalsQueryKey, 'runs', setId] }),
  });
}

export function useCompareRuns(setId: string, pair: { a: string; b: string } | null) {
  return useQuery({
    queryKey: [...evalsQueryKey, 'compare', setId, pair?.a, pair?.b],
    queryFn: ({ signal }) => compareEvalRuns(setId, (pair as { a: string }).a, (pair as { b: string }).b, signal),
    enabled: pair !== null,
  });
}

export function useAbReport() {
  return useQuery({ queryKey: [...abQueryKey, 'report'], queryFn: ({ signal }) => fetchAbReport(signal) });
}

export function usePromotions() {
  return useQuery({ queryKey: [...abQueryKey, 'promotions'], queryFn: ({ signal }) => fetchPromotions(signal) });
}

/** Promote / revert change the policy: the report, the history and the Router page's policy are read again. */
export function useEvaluatePromotion() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: evaluatePromotion,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: abQueryKey });
      void client.invalidateQueries({ queryKey: ['router', 'policy'] });
    },
  });
}

export function useRevertPromotion() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: revertPromotion,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: abQueryKey });
      void client.invalidateQueries({ queryKey: ['router', 'policy'] });
    },
  });
}
