import type { MeResponse } from '@margin/contracts';
import { Badge } from '../../../shared/components/Badge';
import { planLabel, roleLabel } from '../../../shared/format/labels';
import { useMe } from '../../auth/hooks/useMe';
import { useSignOut } from '../../auth/hooks/useSignOut';
import { callerOf } from '../../auth/types/caller';

/** Who is signed in, to which tenant on which plan; and the way out. */
export function AccountSummary() {
  const me = useMe();
  const signOut = useSignOut();

  return (
    <section className="account" aria-label="Signed-in account">
      {me.isPending ? (
        <p className="account__loading" role="status">
          Loading account…
        </p>
      ) : me.isError ? (
        <div className="account__error" role="alert">
          <p>Could not load your account.</p>
          <button type="button" className="button button--ghost button--small" onClick={() => void me.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <AccountDetails me={me.data} />
      )}
      <button type="button" className="button button--ghost button--small account__signout" onClick={signOut}>
        Sign out
      </button>
    </section>
  );
}

function AccountDetails({ me }: { me: MeResponse }) {
  const caller = callerOf(me);
  return (
    <div className="account__details">
      <p className="account__email" title={caller.label}>
        <BreakableEmail text={caller.label} />
      </p>
      <p className="account__meta">
        <Badge tone="neutral">{roleLabel(caller.role)}</Badge>
        <span className="account__tenant" title={me.tenant.name}>
          {me.tenant.name}
        </span>
        <Badge tone="accent">{planLabel(me.tenant.plan)} plan</Badge>
      </p>
    </div>
  );
}

/** Lets a long address wrap after the "@" rather than mid-word in the narrow sidebar. */
function BreakableEmail({ text }: { text: string }) {
  const at = text.indexOf('@');
  if (at < 0) return text;
  return (
    <>
      {text.slice(0, at)}
      <wbr />
      {text.slice(at)}
    </>
  );
}
