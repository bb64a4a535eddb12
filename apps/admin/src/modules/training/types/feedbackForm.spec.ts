import { ApiError } from '../../../shared/api/client';
import { feedbackApiErrors, parseFeedbackForm } from './feedbackForm';

const form = { rating: '4', approved: true, edits: '', comment: '' };

describe('parseFeedbackForm', () => {
  it('builds the request, leaving out blank edits and comment', () => {
    expect(parseFeedbackForm(form)).toEqual({ ok: true, request: { rating: 4, approved: true } });
    expect(parseFeedbackForm({ ...form, edits: ' {"verdict":"rejected"} ', comment: ' too kind ' })).toEqual({
      ok: true,
      request: { rating: 4, approved: true, edits: { verdict: 'rejected' }, comment: 'too kind' },
    });
  });

  it('names the fields that are wrong', () => {
    const result = parseFeedbackForm({ ...form, rating: '', edits: '{"verdict": }' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.rating).toBe('Choose a rating from 1 to 5.');
    expect(result.errors.edits).toMatch(/^The edits are not valid JSON: /);
    expect(result.errors.comment).toBeUndefined();
  });
});

describe('feedbackApiErrors', () => {
  it('puts schema problems inside the edits next to the edits, the rest above the form', () => {
    const error = new ApiError(400, ['rating must not be greater than 5', 'edits.verdict must be one of approved, rejected', 'Item not found'], null);
    expect(feedbackApiErrors(error)).toEqual({
      byField: { rating: 'rating must not be greater than 5', edits: 'edits.verdict must be one of approved, rejected' },
      rest: ['Item not found'],
    });
  });
});
