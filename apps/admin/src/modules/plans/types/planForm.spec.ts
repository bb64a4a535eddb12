import type { RequestPlanView } from '@margin/contracts';
import { cheapestChanges, filledAnswers, formatError, parseDeadline, toLocalInput } from './planForm';

describe('plan form helpers', () => {
  it('round-trips a deadline through the datetime-local value', () => {
    const parsed = parseDeadline('2026-12-24T18:30');
    expect(parsed.ok).toBe(true);
    const iso = parsed.ok ? parsed.value : null;
    expect(iso).toBe(new Date(2026, 11, 24, 18, 30).toISOString());
    expect(toLocalInput(iso)).toBe('2026-12-24T18:30');
    expect(parseDeadline('  ')).toEqual({ ok: true, value: null });
    expect(parseDeadline('soon').ok).toBe(false);
    expect(toLocalInput(null)).toBe('');
  });

  it('formats the relative error with its sign', () => {
    expect(formatError(0.125)).toBe('12.5%');
    expect(formatError(-0.05)).toBe('5%');
    expect(formatError(0)).toBe('0%');
    expect(formatError(null)).toBe('—');
  });

  it('keeps only the steps the cheapest alternative changes', () => {
    const plan = {
      steps: [
        { step: 'draft', model: 'anthropic/claude-sonnet-4-5' },
        { step: 'review', model: 'openai/gpt-4o-mini' },
      ],
      cheapest: {
        steps: [
          { step: 'draft', model: 'openai/gpt-4o-mini' },
          { step: 'review', model: 'openai/gpt-4o-mini' },
        ],
        costUsd: 0.1,
      },
    } as unknown as RequestPlanView;
    expect(cheapestChanges(plan)).toEqual([{ step: 'draft', model: 'openai/gpt-4o-mini' }]);
    expect(cheapestChanges({ ...plan, cheapest: null })).toEqual([]);
  });

  it('drops empty answers', () => {
    expect(filledAnswers({ audience: ' tech leads ', tone: '  ' })).toEqual({ audience: 'tech leads' });
  });
});
