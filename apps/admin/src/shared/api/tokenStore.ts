// The signed-in person's access token, kept in localStorage so a reload keeps the session.
// Components read it through useAccessToken(); the API client reads and clears it directly.

const TOKEN_KEY = 'margin.accessToken';
const EXPIRES_AT_KEY = 'margin.accessTokenExpiresAt';

type Listener = () => void;
const listeners = new Set<Listener>();

function notify(): void {
  for (const listener of listeners) listener();
}

export function getAccessToken(): string | null {
  try {
    const token = window.localStorage.getItem(TOKEN_KEY);
    if (!token) return null;
    const expiresAt = Number(window.localStorage.getItem(EXPIRES_AT_KEY));
    // An expired token would only earn a 401; treating it as absent skips the round trip.
    if (expiresAt > 0 && Date.now() >= expiresAt) return null;
    return token;
  } catch {
    return null;
  }
}

export function setAccessToken(token: string, expiresInSeconds?: number): void {
  try {
    window.localStorage.setItem(TOKEN_KEY, token);
    if (expiresInSeconds && expiresInSeconds > 0) {
      window.localStorage.setItem(EXPIRES_AT_KEY, String(Date.now() + expiresInSeconds * 1000));
    } else {
      window.localStorage.removeItem(EXPIRES_AT_KEY);
    }
  } finally {
    notify();
  }
}

export function clearAccessToken(): void {
  try {
    window.localStorage.removeItem(TOKEN_KEY);
    window.localStorage.removeItem(EXPIRES_AT_KEY);
  } finally {
    notify();
  }
}

export function subscribeToAccessToken(listener: Listener): () => void {
  listeners.add(listener);
  // Signing out in one tab signs out the others.
  const onStorage = (event: StorageEvent): void => {
    if (event.key === null || event.key === TOKEN_KEY) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}
