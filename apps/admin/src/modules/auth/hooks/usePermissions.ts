import { permissionsOf, type Permissions } from '../types/permissions';
import { useMe } from './useMe';

/** The caller's permissions, or undefined while /auth/me loads (or failed): show no controls until known. */
export function usePermissions(): Permissions | undefined {
  const me = useMe();
  return me.data ? permissionsOf(me.data) : undefined;
}
