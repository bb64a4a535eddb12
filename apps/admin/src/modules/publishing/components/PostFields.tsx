import { useId } from 'react';
import { MarkdownPreview } from './MarkdownPreview';
import type { PostField, PostFormErrors, PostFormValues } from '../types/postForm';

interface PostFieldsProps {
  values: PostFormValues;
  errors: PostFormErrors;
  onChange: (patch: Partial<PostFormValues>) => void;
  readOnly: boolean;
}

const TEXT_FIELDS: Array<{ field: Exclude<PostField, 'content' | 'excerpt'>; label: string; hint?: string; type: 'text' | 'url' }> = [
  { field: 'title', label: 'Title', type: 'text' },
  { field: 'slug', label: 'Slug', hint: 'The last part of the post’s URL. Empty: made from the title.', type: 'text' },
  { field: 'tags', label: 'Tags', hint: 'Separated by commas.', type: 'text' },
  { field: 'featuredImageUrl', label: 'Featured image URL', type: 'url' },
  { field: 'canonicalUrl', label: 'Canonical URL', hint: 'Where the original lives, if it was first published elsewhere.', type: 'url' },
];

/** The editor's fields, with the markdown beside its live preview. */
export function PostFields({ values, errors, onChange, readOnly }: PostFieldsProps) {
  const id = useId();
  const describedBy = (field: PostField, hint: boolean): string | undefined =>
    [hint ? `${id}-${field}-hint` : '', errors[field] ? `${id}-${field}-error` : ''].join(' ').trim() || undefined;
  const error = (field: PostField) =>
    errors[field] ? (
      <p id={`${id}-${field}-error`} className="field__error">
        {errors[field]}
      </p>
    ) : null;

  return (
    <fieldset className="post-fields" disabled={readOnly}>
      <legend className="visually-hidden">Post</legend>
      <div className="post-fields__meta">
        {TEXT_FIELDS.map(({ field, label, hint, type }) => (
          <div className="field" key={field}>
            <label htmlFor={`${id}-${field}`}>{label}</label>
            <input
              id={`${id}-${field}`}
              name={field}
              type={type}
              autoComplete="off"
              spellCheck={field === 'title'}
              value={values[field]}
              aria-invalid={errors[field] ? true : undefined}
              aria-describedby={describedBy(field, Boolean(hint))}
              onChange={(event) => onChange({ [field]: event.target.value })}
            />
            {hint ? (
              <p id={`${id}-${field}-hint`} className="field__hint">
                {hint}
              </p>
            ) : null}
            {error(field)}
          </div>
        ))}
        <div className="field">
          <label htmlFor={`${id}-excerpt`}>Excerpt</label>
          <textarea
            id={`${id}-excerpt`}
            name="excerpt"
            rows={3}
            value={values.excerpt}
            aria-invalid={errors.excerpt ? true : undefined}
            aria-describedby={describedBy('excerpt', false)}
            onChange={(event) => onChange({ excerpt: event.target.value })}
          />
          {error('excerpt')}
        </div>
      </div>
      <div className="post-fields__content">
        <div className="field">
          <label htmlFor={`${id}-content`}>Content (Markdown)</label>
          <textarea
            id={`${id}-content`}
            name="content"
            className="post-fields__markdown"
            rows={22}
            spellCheck
            value={values.content}
            aria-invalid={errors.content ? true : undefined}
            aria-describedby={describedBy('content', false)}
            onChange={(event) => onChange({ content: event.target.value })}
          />
          {error('content')}
        </div>
        <div className="field">
          <span className="field__label" aria-hidden="true">
            Preview
          </span>
          <MarkdownPreview markdown={values.content} label="Preview" />
        </div>
      </div>
    </fieldset>
  );
}
