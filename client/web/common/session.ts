/**
 * What the pages share: the server is the page's own origin, and the subscriber token is whatever the user typed
 * (kept in sessionStorage for this tab only, so it never lands in a URL, a log or another tab).
 */
const TOKEN_KEY = 'microemo.token';

export const serverUrl = (): string => location.origin;

export function savedToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function saveToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Binds a token <input> to the tab's saved token. */
export function tokenInput(input: HTMLInputElement): () => string {
  input.value = savedToken();
  input.addEventListener('change', () => saveToken(input.value.trim()));
  return () => {
    const t = input.value.trim();
    saveToken(t);
    return t;
  };
}

/** fetch() of a JSON REST endpoint with the user's token as Bearer; throws the server's error message. */
export async function getJson<T>(path: string, token: string): Promise<T> {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function $(selector: string): HTMLElement {
  const node = document.querySelector<HTMLElement>(selector);
  if (!node) throw new Error(`page is missing ${selector}`);
  return node;
}
