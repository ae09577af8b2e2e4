// Talking to the agent's server: same origin in production, Vite's proxy in development.
// With LOGLENS_API_TOKEN set on the server, the token is asked for once and kept in this browser.

const TOKEN_KEY = 'loglens.token';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export const auth = $state({ needed: false });

export function token(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(value: string): void {
  localStorage.setItem(TOKEN_KEY, value.trim());
  auth.needed = false;
}

export type Params = Record<string, string | number | readonly string[] | null | undefined>;

export function queryString(params: Params): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built and read within this call, never state
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) search.append(key, item);
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function getJson<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const saved = token();
  if (saved) headers.Authorization = `Bearer ${saved}`;
  let response: Response;
  try {
    response = await fetch(path + queryString(params), { headers, signal: signal ?? null });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('Cannot reach the loglens server. Is it running?', 0);
  }
  if (response.status === 401) {
    auth.needed = true;
    throw new ApiError('This loglens server needs an access token.', 401);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message =
      body && typeof body === 'object' && 'error' in body ? String(body.error) : `HTTP ${response.status}`;
    throw new ApiError(message, response.status);
  }
  return body as T;
}

export function socketUrl(path: string): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built and read within this call, never state
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const saved = token();
  if (saved) url.searchParams.set('token', saved);
  return url.toString();
}
