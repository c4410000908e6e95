// The frame around every screen: who is signed in, the screens their role may open, sign-out.
import { useQueryClient } from '@tanstack/react-query';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { useEffect } from 'react';
import { api } from './api/client';
import { can, useMe } from './api/hooks';
import { Button, ErrorBox, Loading } from './components/ui';
import { SignIn } from './screens/SignIn';

interface NavItem {
  to: string;
  label: string;
  show: (c: ReturnType<typeof can>) => boolean;
}

const NAV: NavItem[] = [
  { to: 'overview', label: 'Overview', show: (c) => c.inOrg },
  { to: 'connect', label: 'Connect a tool', show: (c) => c.inOrg },
  { to: 'tokens', label: 'Tokens', show: (c) => c.inOrg },
  { to: 'members', label: 'Members', show: (c) => c.manageMembers },
  { to: 'policy', label: 'Policy', show: (c) => c.editPolicy },
  { to: 'explain', label: 'Access explainer', show: (c) => c.inOrg },
  { to: 'sso', label: 'SSO and SCIM', show: (c) => c.readSso },
  { to: 'audit', label: 'Audit', show: (c) => c.readAudit },
  { to: 'platform', label: 'Platform', show: (c) => c.platform },
];

export function Shell() {
  const me = useMe();
  const client = useQueryClient();
  const location = useLocation();
  // Route changes move focus to the new page's heading, for keyboard and screen-reader users.
  // A page whose heading is not rendered yet (still loading) gets it on a later frame.
  useEffect(() => {
    let frame = 0;
    let tries = 0;
    const focusHeading = () => {
      const heading = document.getElementById('page-title');
      if (heading) heading.focus();
      else if (tries++ < 60) frame = requestAnimationFrame(focusHeading);
    };
    focusHeading();
    return () => cancelAnimationFrame(frame);
  }, [location.pathname]);

  if (me.isPending) return <Loading what="your session" />;
  if (me.isError)
    return (
      <main className="center">
        <ErrorBox error={me.error} retry={() => void me.refetch()} />
      </main>
    );
  if (!me.data) return <SignIn />;

  const rights = can(me.data);
  const items = NAV.filter((n) => n.show(rights));
  const here = location.pathname.replace(/^\/console\/?/, '').split('/')[0] ?? '';
  const allowed = items.some((i) => i.to === here);
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Airlock</span>
        <span className="who">
          {me.data.user.email}
          {me.data.org ? ` · ${me.data.org.name} (${me.data.org.slug})` : ''}
          {rights.role ? ` · ${rights.role}` : ''}
          {rights.platform ? ' · platform admin' : ''}
        </span>
        <Button
          onPress={() => {
            void api('/auth/logout', { method: 'POST' })
              .catch(() => undefined)
              .then(() => client.resetQueries());
          }}
        >
          Sign out
        </Button>
      </header>
      <nav className="sidebar" aria-label="Console">
        <ul>
          {items.map((i) => (
            <li key={i.to}>
              <NavLink to={`/console/${i.to}`}>{i.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content">
        {allowed ? (
          <Outlet />
        ) : items.length > 0 && here === 'overview' ? (
          // Without an org (the platform admin's break-glass session) the landing is Platform.
          <Navigate to={`/console/${rights.platform ? 'platform' : items[0]!.to}`} replace />
        ) : items.length > 0 ? (
          <section className="page">
            <h1 id="page-title" tabIndex={-1}>
              Not available
            </h1>
            <p>
              This screen is not available to your role. Open{' '}
              <NavLink to={`/console/${items[0]!.to}`}>{items[0]!.label}</NavLink>.
            </p>
          </section>
        ) : (
          <section className="page">
            <h1 id="page-title" tabIndex={-1}>
              Nothing to show
            </h1>
            <p>This account is not a member of an organisation.</p>
          </section>
        )}
      </main>
    </div>
  );
}
