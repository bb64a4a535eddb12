// The item dialog's feedback form: rating 1–5, approved, edits (the corrected output, as JSON), comment.
import type { FeedbackRequest } from '@margin/contracts';
import { splitApiErrors } from '../../publishing/types/apiFieldErrors';

export type FeedbackField = 'rating' | 'approved' | 'edits' | 'comment';

export interface FeedbackForm {
  /** '' until chosen, else '1'..'5'. */
  rating: string;
  approved: boolean;
  /** JSON text; blank for no correction. */
  edits: string;
  comment: string;
}

export const COMMENT_MAX = 4000;

export type FeedbackParse = { ok: true; request: FeedbackRequest } | { ok: false; errors: Partial<Record<FeedbackField, string>> };

/** The request from the form, or what is wrong with it (the edits must be JSON; the server checks them against the schema). */
export function parseFeedbackForm(form: FeedbackForm): FeedbackParse {
  const errors: Partial<Record<FeedbackField, string>> = {};
  const rating = Number(form.rating);
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) errors.rating = 'Choose a rating from 1 to 5.';
  let edits: unknown;
  if (form.edits.trim() !== '') {
    try {
      edits = JSON.parse(form.edits) as unknown;
    } catch (error) {
      errors.edits = `The edits are not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  if (form.comment.length > COMMENT_MAX) errors.comment = `The comment is too long (at most ${COMMENT_MAX} characters).`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const request: FeedbackRequest = { rating, approved: form.approved };
  if (edits !== undefined) request.edits = edits;
  if (form.comment.trim() !== '') request.comment = form.comment.trim();
  return { ok: true, request };
}

const PATHS: Record<FeedbackField, string[]> = { rating: ['rating'], approved: ['approved'], edits: ['edits'], comment: ['comment'] };

/**
 * The API's 400 messages by field. Schema problems in the edits name a path inside them ("edits.verdict must be
 * one of …", "edits[0] …"): those go to the edits too.
 */
export function feedbackApiErrors(error: unknown): { byField: Partial<Record<FeedbackField, string>>; rest: string[] } {
  const split = splitApiErrors(error, PATHS);
  const rest: string[] = [];
  for (const message of split.rest) {
    if (/^edits[.[/]/.test(message)) split.byField.edits = split.byField.edits ? `${split.byField.edits} ${message}` : message;
    else rest.push(message);
  }
  return { byField: split.byField, rest };
}
