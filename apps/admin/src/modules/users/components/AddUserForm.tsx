import { ROLES, roleAtLeast, type Role } from '@margin/contracts';
import { useId, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { roleLabel } from '../../../shared/format/labels';
import { useCreateUser } from '../hooks/useUsers';

const PASSWORD_MIN_LENGTH = 10;

interface AddUserFormProps {
  /** Nobody creates a user above their own role. */
  creatorRole: Role;
  onCreated: (email: string) => void;
}

export function AddUserForm({ creatorRole, onCreated }: AddUserFormProps) {
  const mutation = useCreateUser();
  const roles = ROLES.filter((role) => roleAtLeast(creatorRole, role));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const id = useId();

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (mutation.isPending) return;
    const trimmed = email.trim();
    const next: typeof errors = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(trimmed)) next.email = 'Enter an email address, e.g. ada@example.com.';
    if (password.length < PASSWORD_MIN_LENGTH) next.password = `Passwords need at least ${PASSWORD_MIN_LENGTH} characters.`;
    setErrors(next);
    if (next.email || next.password) {
      (next.email ? emailRef : passwordRef).current?.focus();
      return;
    }
    mutation.mutate(
      { email: trimmed, password, role },
      {
        onSuccess: (user) => {
          setEmail('');
          setPassword('');
          setRole('member');
          onCreated(user.email);
        },
      },
    );
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Add a user">
      <div className="form__row">
        <div className="field field--grow">
          <label htmlFor={`${id}-email`}>Email address</label>
          <input
            id={`${id}-email`}
            ref={emailRef}
            type="email"
            autoComplete="off"
            inputMode="email"
            value={email}
            aria-invalid={errors.email ? true : undefined}
            aria-describedby={errors.email ? `${id}-email-error` : undefined}
            onChange={(event) => {
              setEmail(event.target.value);
              mutation.reset();
            }}
          />
          {errors.email ? (
            <p id={`${id}-email-error`} className="field__error">
              {errors.email}
            </p>
          ) : null}
        </div>
        <div className="field field--grow">
          <label htmlFor={`${id}-password`}>Initial password</label>
          <input
            id={`${id}-password`}
            ref={passwordRef}
            type="password"
            autoComplete="new-password"
            value={password}
            aria-invalid={errors.password ? true : undefined}
            aria-describedby={`${id}-password-hint${errors.password ? ` ${id}-password-error` : ''}`}
            onChange={(event) => setPassword(event.target.value)}
          />
          <p id={`${id}-password-hint`} className="field__hint">
            At least {PASSWORD_MIN_LENGTH} characters. Share it with the person safely.
          </p>
          {errors.password ? (
            <p id={`${id}-password-error`} className="field__error">
              {errors.password}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={`${id}-role`}>New user’s role</label>
          <select id={`${id}-role`} value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {roles.map((option) => (
              <option key={option} value={option}>
                {roleLabel(option)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {mutation.isError ? <ErrorMessage error={mutation.error} title="Could not add the user." /> : null}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {mutation.isPending ? 'Adding…' : 'Add user'}
        </button>
      </div>
    </form>
  );
}
