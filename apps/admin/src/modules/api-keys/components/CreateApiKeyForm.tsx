import { ROLES, roleAtLeast, type CreatedApiKey, type Role } from '@margin/contracts';
import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { roleLabel } from '../../../shared/format/labels';
import { useCreateApiKey } from '../hooks/useApiKeys';

interface CreateApiKeyFormProps {
  /** The creator's own role: a key never gets more rights than the person who made it. */
  creatorRole: Role;
  onCreated: (key: CreatedApiKey) => void;
}

const DEFAULT_ROLE: Role = 'member';

export function CreateApiKeyForm({ creatorRole, onCreated }: CreateApiKeyFormProps) {
  const createMutation = useCreateApiKey();
  const roles = ROLES.filter((role) => roleAtLeast(creatorRole, role));
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(roles.includes(DEFAULT_ROLE) ? DEFAULT_ROLE : creatorRole);
  const nameId = useId();
  const roleId = useId();
  const hintId = useId();

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed || createMutation.isPending) return;
    createMutation.mutate(
      { name: trimmed, role },
      {
        onSuccess: (created) => {
          setName('');
          createMutation.reset();
          onCreated(created);
        },
      },
    );
  };

  return (
    <section className="card" aria-labelledby={`${nameId}-title`}>
      <h2 id={`${nameId}-title`} className="card__title">
        Create an API key
      </h2>
      <form className="form form--inline" onSubmit={onSubmit}>
        <div className="field field--grow">
          <label htmlFor={nameId}>Name</label>
          <input
            id={nameId}
            name="name"
            type="text"
            required
            maxLength={100}
            autoComplete="off"
            placeholder="e.g. CI pipeline"
            aria-describedby={hintId}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={roleId}>Role</label>
          <select id={roleId} name="role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {roles.map((option) => (
              <option key={option} value={option}>
                {roleLabel(option)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button--primary" disabled={createMutation.isPending || name.trim() === ''}>
          {createMutation.isPending ? 'Creating…' : 'Create key'}
        </button>
      </form>
      <p id={hintId} className="muted small">
        Name keys after the integration that uses them, so you know which one to revoke.
      </p>
      {createMutation.isError ? <ErrorMessage error={createMutation.error} title="Could not create the key." /> : null}
    </section>
  );
}
