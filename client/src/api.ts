/**
 * The REST client. Same-origin cookies, JSON both ways, and `X-Requested-With: fetch` on every
 * request (the server uses it as a CSRF guard). Failures are thrown as `ApiError`.
 */
import type {
  AlertView,
  ChatMessage,
  CreatePrescriptionInput,
  IntakeAnswers,
  IntakeRecord,
  IntakeSummary,
  IntakeVersionSummary,
  MetricKind,
  NextStep,
  PatientInstruction,
  PrescriptionStatus,
  PrescriptionView,
  Reading,
  TaskNotice,
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

/** One prescription of the ladder history (`GET /api/patients/:id/titration`), newest first. */
export interface TitrationHistoryItem {
  id: string;
  drug: PrescriptionView["drug"];
  doseMg: number;
  status: PrescriptionStatus;
  signedAt: string;
}

/** A reading as sent (units may be non-canonical; the server converts). */
export interface ReadingDraft {
  kind: MetricKind;
  value: unknown;
  unit: string;
  observedAt: string;
}

export type VerifyAnswer = { valid: true } | { valid: false; reason?: string };

/** One row of `GET /api/dashboard` (only the fields this client reads; older drafts sent a bare count). */
export interface DashboardRow {
  patientId: string;
  openAlerts?: number | { urgent?: number; high?: number; medium?: number; total?: number };
  topSeverity?: AlertView["severity"] | null;
}

const patientPath = (patientId: string, rest: string) => `/api/patients/${encodeURIComponent(patientId)}/${rest}`;

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
  // ---- clinical ----
  submitIntake: (answers: IntakeAnswers) =>
    request<{ intake: IntakeSummary; instructions?: PatientInstruction[] }>("POST", "/api/intake", { answers }),
  intake: (patientId: string) =>
    request<{ intake: IntakeRecord | null; versions: IntakeVersionSummary[] }>("GET", patientPath(patientId, "intake")),
  intakeVersion: (patientId: string, version: number) =>
    request<{ intake: IntakeRecord }>("GET", patientPath(patientId, `intake/${encodeURIComponent(String(version))}`)),
  metrics: (patientId: string, kind?: MetricKind) =>
    request<{ readings: Reading[] }>("GET", patientPath(patientId, `metrics${kind ? `?kind=${encodeURIComponent(kind)}` : ""}`)),
  reportMetrics: (input: { readings: ReadingDraft[]; requestId: string }) =>
    request<{ readings: Reading[]; instructions?: PatientInstruction[] }>("POST", "/api/metrics", input),
  alerts: (patientId: string, status?: AlertView["status"]) =>
    request<{ alerts: AlertView[] }>("GET", patientPath(patientId, `alerts${status ? `?status=${status}` : ""}`)),
  ackAlert: (alertId: string) => request<{ alert: AlertView }>("POST", `/api/alerts/${encodeURIComponent(alertId)}/ack`),
  dashboard: () => request<{ patients: DashboardRow[] }>("GET", "/api/dashboard"),
  prescriptions: (patientId: string) =>
    request<{ prescriptions: PrescriptionView[] }>("GET", patientPath(patientId, "prescriptions")),
  titration: (patientId: string) =>
    request<{ next: NextStep; history: TitrationHistoryItem[] }>("GET", patientPath(patientId, "titration")),
  createPrescription: (input: CreatePrescriptionInput) =>
    request<{ prescription: PrescriptionView }>("POST", "/api/prescriptions", input),
  prescriptionAction: (id: string, action: "sign" | "send" | "cancel") =>
    request<{ prescription: PrescriptionView }>("POST", `/api/prescriptions/${encodeURIComponent(id)}/${action}`),
  verifyPrescription: (id: string) => request<VerifyAnswer>("GET", `/api/prescriptions/${encodeURIComponent(id)}/verify`),
  requestRefill: (id: string) =>
    request<{ task: TaskNotice }>("POST", `/api/prescriptions/${encodeURIComponent(id)}/refill-request`),
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
