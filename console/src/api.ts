// The API beside the console: /api/console/ -> /api/. The session's token is kept in
// sessionStorage (gone with the tab); a 401 anywhere ends the session and returns to sign-in.

const TOKEN_KEY = "creditgate.token";

export interface FieldError {
  loc: (string | number)[];
  msg: string;
}

/** An RFC 9457 problem answered by the API. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail || title);
  }
}

let onUnauthorized: () => void = () => undefined;

export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export function apiUrl(path: string): string {
  return new URL(`../${path.replace(/^\//, "")}`, document.baseURI).toString();
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(apiUrl(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && bearer) {
    token.clear();
    onUnauthorized();
  }
  if (response.status === 204) return undefined as T;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Problem(response.status, data.title ?? response.statusText, data.detail ?? "", data.errors ?? []);
  return data as T;
}

/** "detail (field: message; ...)" for showing a problem to a person. */
export function describe(error: unknown): string {
  if (!(error instanceof Problem)) return String(error instanceof Error ? error.message : error);
  const fields = error.errors.map((e) => `${e.loc.join(".")}: ${e.msg}`).join("; ");
  return fields ? `${error.detail} (${fields})` : error.detail || error.title;
}
