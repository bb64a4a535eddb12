import { useState } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import type { Permissions } from '../../auth/types/permissions';
import { useUsers } from '../hooks/useUsers';
import { AddUserForm } from './AddUserForm';
import { UsersTable } from './UsersTable';

interface UsersSectionProps {
  permissions: Permissions;
  currentUserId: string | null;
}

/** Owners and admins manage their tenant's people. */
export function UsersSection({ permissions, currentUserId }: UsersSectionProps) {
  const users = useUsers({ enabled: permissions.isAdmin });
  const [message, setMessage] = useState('');

  return (
    <section className="card" aria-labelledby="settings-users-title">
      <h2 id="settings-users-title" className="card__title">
        Users
      </h2>
      <AddUserForm creatorRole={permissions.role} onCreated={(email) => setMessage(`${email} added.`)} />
      <p className="small" role="status">
        {message}
      </p>
      {users.isPending ? (
        <LoadingState label="Loading users…" />
      ) : users.isError ? (
        <ErrorMessage error={users.error} title="Could not load the users." onRetry={() => void users.refetch()} />
      ) : (
        <UsersTable users={users.data} currentUserId={currentUserId} myRole={permissions.role} onMessage={setMessage} />
      )}
    </section>
  );
}
