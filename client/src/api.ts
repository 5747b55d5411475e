/**
 * The REST client. Same-origin cookies, JSON both ways, and `X-Requested-With: fetch` on every
 * request (the server uses it as a CSRF guard). Failures are thrown as `ApiError`.
 */
import type {
  ChatMessage,
  ConversationSummary,
  ErrorBody,
  LoginInput,
  PublicUser,
  RegisterInput,
  SessionInfo,
} from "@glp1/shared";

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    /** An `ErrorCode` from the server, or `NETWORK` when no answer came back. */
    readonly code: ErrorBody["code"] | "NETWORK" | (string & {}),
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }
}

export interface SignedIn {
  user: PublicUser;
  /** Older servers may omit it; the client then assumes the default idle timeout. */
  session?: SessionInfo;
}

type Hooks = {
  /** A request reached the server; `sentAt` is when it left (the session was renewed then). */
  activity?: (sentAt: number) => void;
  /** A signed-in request was refused because the session is gone. */
  unauthenticated?: (error: ApiError) => void;
};
const hooks: Hooks = {};

export function setApiHooks(next: Hooks): void {
  hooks.activity = next.activity;
  hooks.unauthenticated = next.unauthenticated;
}

interface RequestOptions {
  /** For the auth endpoints: a 401 there is an answer, not a lost session. */
  authEndpoint?: boolean;
}

function errorFrom(status: number, body: unknown): ApiError {
  const error = (body as { error?: Partial<ErrorBody> } | null)?.error;
  if (error && typeof error.code === "string") {
    return new ApiError(status, error.code, error.message ?? error.code, error.fields);
  }
  return new ApiError(status, status >= 500 ? "INTERNAL" : "BAD_REQUEST", `Request failed (${status})`);
}

async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", "X-Requested-With": "fetch" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const sentAt = Date.now();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "The server could not be reached. Check your connection and try again.");
  }
  const text = await res.text().catch(() => "");
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  // Any answer but 401 means a live session saw the request, which renewed its idle timer.
  if (res.status !== 401) hooks.activity?.(sentAt);
  if (!res.ok) {
    const error = errorFrom(res.status, data);
    if (res.status === 401 && !options.authEndpoint) hooks.unauthenticated?.(error);
    throw error;
  }
  return data as T;
}

export interface HistoryOptions {
  limit?: number;
  before?: string;
}

export const api = {
  login: (input: LoginInput) => request<SignedIn>("POST", "/api/auth/login", input, { authEndpoint: true }),
  register: (input: RegisterInput) =>
    request<{ user?: PublicUser }>("POST", "/api/auth/register", input, { authEndpoint: true }),
  logout: () => request<void>("POST", "/api/auth/logout", undefined, { authEndpoint: true }),
  me: () => request<SignedIn>("GET", "/api/auth/me", undefined, { authEndpoint: true }),
  keepalive: () => request<{ session?: SessionInfo }>("POST", "/api/auth/keepalive"),
  conversations: () => request<{ conversations: ConversationSummary[] }>("GET", "/api/conversations"),
  messages: (conversationId: string, options: HistoryOptions = {}) => {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    if (options.before !== undefined) query.set("before", options.before);
    const qs = query.toString();
    return request<{ messages: ChatMessage[] }>(
      "GET",
      `/api/conversations/${encodeURIComponent(conversationId)}/messages${qs ? `?${qs}` : ""}`,
    );
  },
};

/** A message fit to show a person, whatever went wrong. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case "NETWORK":
        return error.message;
      case "RATE_LIMITED":
        return "Too many attempts. Please wait a moment and try again.";
      case "INTERNAL":
      case "AUDIT_UNAVAILABLE":
        return "Something went wrong on our side. Please try again.";
      default:
        return error.message;
    }
  }
  return "Something went wrong. Please try again.";
}
