import { ROLES, roleAtLeast, type Role, type UserView } from '@margin/contracts';
import { Fragment, useEffect, useRef, useState } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { formatDate, formatDateTime } from '../../../shared/format/dates';
import { roleLabel } from '../../../shared/format/labels';
import { useDeleteUser, useUpdateUser } from '../hooks/useUsers';

interface UsersTableProps {
  users: UserView[];
  /** The signed-in person: they can't demote or remove themselves here. */
  currentUserId: string | null;
  myRole: Role;
  onMessage: (message: string) => void;
}

const COLUMNS = 5;

export function UsersTable({ users, currentUserId, myRole, onMessage }: UsersTableProps) {
  const update = useUpdateUser();
  const remove = useDeleteUser();
  const [draftRoles, setDraftRoles] = useState<Record<string, Role>>({});
  const [confirmingId, setConfirmingId] = useState<string | null>(null);
  const removeButtons = useRef(new Map<string, HTMLButtonElement>());
  const cancelButton = useRef<HTMLButtonElement>(null);
  const roles = ROLES.filter((role) => roleAtLeast(myRole, role));

  useEffect(() => {
    if (confirmingId) cancelButton.current?.focus();
  }, [confirmingId]);

  const saveRole = (user: UserView, role: Role): void => {
    remove.reset();
    update.mutate(
      { id: user.id, request: { role } },
      {
        onSuccess: () => {
          setDraftRoles(({ [user.id]: _saved, ...rest }) => rest);
          onMessage(`${user.email} is now ${roleLabel(role)}.`);
        },
      },
    );
  };

  const confirmRemove = (user: UserView): void => {
    update.reset();
    remove.mutate(user.id, {
      onSuccess: () => {
        setConfirmingId(null);
        onMessage(`${user.email} removed.`);
      },
    });
  };

  return (
    <>
      {update.isError ? <ErrorMessage error={update.error} title="Could not change the role." /> : null}
      {remove.isError ? <ErrorMessage error={remove.error} title="Could not remove the user." /> : null}
      <div className="table-wrap" role="region" aria-label="Users table" tabIndex={0}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Added</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => {
              const isMe = user.id === currentUserId;
              const manageable = !isMe && roleAtLeast(myRole, user.role);
              const draft = draftRoles[user.id] ?? user.role;
              const saving = update.isPending && update.variables.id === user.id;
              const confirming = manageable && confirmingId === user.id;
              const removing = confirming && remove.isPending;
              return (
                <Fragment key={user.id}>
                  <tr>
                    <th scope="row" className="table__name">
                      {user.email} {isMe ? <Badge tone="accent">You</Badge> : null}
                    </th>
                    <td>
                      {manageable ? (
                        <span className="inline-edit">
                          <select
                            aria-label={`Role for ${user.email}`}
                            value={draft}
                            disabled={saving}
                            onChange={(event) => setDraftRoles((current) => ({ ...current, [user.id]: event.target.value as Role }))}
                          >
                            {roles.map((role) => (
                              <option key={role} value={role}>
                                {roleLabel(role)}
                              </option>
                            ))}
                          </select>
                          {draft !== user.role ? (
                            <button type="button" className="button button--primary button--small" disabled={saving} onClick={() => saveRole(user, draft)}>
                              {saving ? 'Saving…' : 'Save role'}
                              <span className="visually-hidden"> for {user.email}</span>
                            </button>
                          ) : null}
                        </span>
                      ) : (
                        roleLabel(user.role)
                      )}
                    </td>
                    <td>
                      <time dateTime={user.createdAt} title={formatDateTime(user.createdAt)}>
                        {formatDate(user.createdAt)}
                      </time>
                    </td>
                    <td>{formatDateTime(user.lastLoginAt, 'Never')}</td>
                    <td className="table__actions">
                      {manageable ? (
                        <button
                          type="button"
                          className="button button--danger-outline button--small"
                          aria-expanded={confirming}
                          disabled={removing}
                          ref={(node) => {
                            if (node) removeButtons.current.set(user.id, node);
                            else removeButtons.current.delete(user.id);
                          }}
                          onClick={() => {
                            remove.reset();
                            setConfirmingId(confirming ? null : user.id);
                          }}
                        >
                          Remove<span className="visually-hidden"> {user.email}</span>
                        </button>
                      ) : null}
                    </td>
                  </tr>
                  {confirming ? (
                    <tr className="table__confirm-row">
                      <td colSpan={COLUMNS}>
                        <div className="confirm" role="group" aria-label={`Confirm removing ${user.email}`}>
                          <p className="confirm__text">
                            Remove <strong>{user.email}</strong>? They can no longer sign in. API keys they created keep working until revoked.
                          </p>
                          <div className="confirm__actions">
                            <button type="button" className="button button--danger button--small" disabled={removing} onClick={() => confirmRemove(user)}>
                              {removing ? 'Removing…' : 'Confirm remove'}
                            </button>
                            <button
                              type="button"
                              ref={cancelButton}
                              className="button button--secondary button--small"
                              disabled={removing}
                              onClick={() => {
                                setConfirmingId(null);
                                removeButtons.current.get(user.id)?.focus();
                              }}
                            >
                              Cancel
                            </button>
                          </div>
                        </div>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
