import { EMPTY_FILTERS, exportFilename, exportSearch, filtersProblem, filtersQuery } from './exampleFilters';

describe('filtersQuery', () => {
  it('leaves blanks out and makes the last day inclusive', () => {
    expect(filtersQuery(EMPTY_FILTERS)).toEqual({});
    expect(
      filtersQuery({
        profile: ' song-analysis ',
        operation: 'analyze',
        model: 'ollama/qwen3:8b',
        minRating: '4',
        approvedOnly: true,
        from: '2026-11-01',
        to: '2026-11-30',
      }),
    ).toEqual({
      profile: 'song-analysis',
      operation: 'analyze',
      model: 'ollama/qwen3:8b',
      minRating: 4,
      approvedOnly: true,
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
  });

  it('refuses a range that ends before it starts', () => {
    expect(filtersProblem({ ...EMPTY_FILTERS, from: '2026-11-02', to: '2026-11-01' })).toBe('The first day must not be after the last day.');
    expect(filtersProblem({ ...EMPTY_FILTERS, from: '2026-11-01', to: '2026-11-01' })).toBeNull();
  });
});

describe('exportSearch', () => {
  it('carries the format, the filters and the options; a part only with a split', () => {
    expect(exportSearch({ minRating: 4 }, { format: 'hf-jsonl', dedupe: false })).toBe('?format=hf-jsonl&minRating=4');
    expect(exportSearch({}, { format: 'openai-jsonl', dedupe: true, split: 0.9 }, 'validation')).toBe(
      '?format=openai-jsonl&dedupe=true&split=0.9&part=validation',
    );
    expect(exportFilename('anthropic-jsonl', 'train')).toBe('training-anthropic-jsonl-train.jsonl');
  });
});
