import type { ReactNode } from 'react';

/** The frame of the signed-out pages (sign in, finish signing up): the brand, a title, the page's content. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand brand--dark" aria-hidden="true">
          <span className="brand__mark">M</span> Margin
        </p>
        <h1 className="auth-card__title">{title}</h1>
        {children}
      </div>
    </main>
  );
}
