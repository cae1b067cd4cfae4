/** A small JSON client for the HTTP API, returning status, headers and the parsed body. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export function apiClient(baseUrl: string) {
  async function call<T = any>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers["content-type"] ??= "application/json";
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // non-JSON bodies (metrics) stay text
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }
  return {
    call,
    get: <T = any>(path: string, token?: string) => call<T>("GET", path, { token }),
    post: <T = any>(path: string, body: unknown, token?: string) => call<T>("POST", path, { body, token }),
    put: <T = any>(path: string, body: unknown, token?: string) => call<T>("PUT", path, { body, token }),
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

let sequence = 0;
/** A unique, valid username for this test run. */
export function uniqueUsername(stem = "player"): string {
  sequence += 1;
  return `${stem}_${process.pid % 10000}_${sequence}_${Math.floor(Math.random() * 1e6)}`.slice(0, 32);
}

/** Registers a new user and returns its token and id. */
export async function registerUser(api: ApiClient, stem = "player") {
  const username = uniqueUsername(stem);
  const response = await api.post("/auth/register", {
    username,
    email: `${username}@example.com`,
    password: "correct horse battery",
  });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { token: response.body.token as string, userId: response.body.user.user_id as string, username };
}
