import { NavLink, Outlet } from 'react-router-dom';
import { AccountSummary } from './AccountSummary';

const NAV_ITEMS = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/requests/new', label: 'New request', end: false },
  { to: '/jobs', label: 'Jobs', end: false },
  { to: '/costs', label: 'Costs', end: false },
  { to: '/posts', label: 'Posts', end: false },
  { to: '/endpoints', label: 'Endpoints', end: false },
  { to: '/kpis', label: 'KPIs', end: false },
  { to: '/alerts', label: 'Alerts', end: false },
  { to: '/router', label: 'Router', end: false },
  { to: '/training', label: 'Training', end: false },
  { to: '/evals', label: 'Evals', end: false },
  { to: '/ab-tests', label: 'A/B tests', end: false },
  { to: '/api-keys', label: 'API keys', end: false },
  { to: '/settings', label: 'Settings', end: false },
] as const;

export function AppShell() {
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="sidebar">
        <p className="brand">
          <span className="brand__mark" aria-hidden="true">
            M
          </span>
          Margin <span className="brand__sub">admin</span>
        </p>
        <nav className="nav" aria-label="Main">
          <ul>
            {NAV_ITEMS.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end} className="nav__link">
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <AccountSummary />
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
