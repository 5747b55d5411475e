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
  AnomalyResolution,
  CareTeamSetResult,
  AnomalyView,
  AuditEntryView,
  CannedResponseId,
  ChangePasswordInput,
  CohortResponse,
  CreateUserInput,
  DashboardResponse,
  DashboardSortKey,
  DrugName,
  MfaEnrollment,
  MfaStatus,
  SessionView,
  TrainingRecordInput,
  TrainingRecordView,
  TrainingStatusView,
  TriageItemView,
  TriagePriority,
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
  /** Where the account stands with multi-factor sign-in (servers with MFA send it). */
  mfa?: MfaStatus;
}

type Hooks = {
  /** A request reached the server; `sentAt` is when it left (the session was renewed then). */
  activity?: (sentAt: number) => void;
  /** A signed-in request was refused because the session is gone. */
  unauthenticated?: (error: ApiError) => void;
  /** A staff session without a second factor was refused (403 MFA_ENROLLMENT_REQUIRED). */
  mfaRequired?: () => void;
  /** A patient's record was refused (403 FORBIDDEN on `/api/patients/:id/…`): not (or no longer) on their care team. */
  forbiddenPatient?: (patientId: string) => void;
};
const hooks: Hooks = {};

export function setApiHooks(next: Hooks): void {
  hooks.activity = next.activity;
  hooks.unauthenticated = next.unauthenticated;
  hooks.mfaRequired = next.mfaRequired;
  hooks.forbiddenPatient = next.forbiddenPatient;
}

const PATIENT_PATH = /^\/api\/patients\/([0-9a-f]{24})\//;

interface RequestOptions {
  /** For the auth endpoints: a 401 there is an answer, not a lost session. */
  authEndpoint?: boolean;
  /** Re-authentication (password change): a 401 INVALID_CREDENTIALS is an answer; any other 401 a lost session. */
  checksPassword?: boolean;
}

function errorFrom(status: number, body: unknown): ApiError {
  const error = (body as { error?: Partial<ErrorBody> } | null)?.error;
  if (error && typeof error.code === "string") {
    return new ApiError(status, error.code, error.message ?? error.code, error.fields);
  }
  return new ApiError(status, status >= 500 ? "INTERNAL" : "BAD_REQUEST", `Request failed (${status})`);
}

export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
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
    const answered = options.authEndpoint || (options.checksPassword && error.code === "INVALID_CREDENTIALS");
    if (res.status === 401 && !answered) hooks.unauthenticated?.(error);
    if (res.status === 403 && error.code === "MFA_ENROLLMENT_REQUIRED") hooks.mfaRequired?.();
    const patientId = res.status === 403 && error.code === "FORBIDDEN" ? PATIENT_PATH.exec(path)?.[1] : undefined;
    if (patientId) hooks.forbiddenPatient?.(patientId);
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

/** `GET /api/dashboard` query (sorting, filtering and paging happen on the server). */
export interface DashboardParams {
  sort?: DashboardSortKey;
  order?: "asc" | "desc";
  drug?: DrugName;
  alerts?: AlertView["severity"];
  escalationDue?: boolean;
  unread?: boolean;
  online?: boolean;
  q?: string;
  limit?: number;
  offset?: number;
}

/** `GET /api/audit` query. */
export interface AuditParams {
  userId?: string;
  patientId?: string;
  action?: string;
  from?: string;
  to?: string;
  limit?: number;
}

/** A query string from the defined values only ("" when none). */
export function queryString(params: object): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    query.set(k, String(v));
  }
  const qs = query.toString();
  return qs ? `?${qs}` : "";
}

/** `POST /api/admin/care-teams` answer: the team now and who was added or removed. */
export type CareTeamView = CareTeamSetResult;

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
  dashboard: (params: DashboardParams = {}) => request<DashboardResponse>("GET", `/api/dashboard${queryString(params)}`),
  cohort: () => request<CohortResponse>("GET", "/api/cohort"),
  breakGlass: (patientId: string, reason: string) =>
    request<{ expiresAt: string }>("POST", patientPath(patientId, "break-glass"), { reason }),
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
  // ---- support triage (no clinical endpoint is ever called from the support screens) ----
  triage: (status: "open" | "routed" | "all" = "open") =>
    request<{ items: TriageItemView[] }>("GET", `/api/triage${queryString({ status })}`),
  triageClaim: (conversationId: string) => request<{ item: TriageItemView }>("POST", triagePath(conversationId, "claim")),
  triageRelease: (conversationId: string) => request<{ item: TriageItemView }>("POST", triagePath(conversationId, "release")),
  triagePriority: (conversationId: string, priority: TriagePriority) =>
    request<{ item: TriageItemView }>("POST", triagePath(conversationId, "priority"), { priority }),
  triageRoute: (conversationId: string, physicianId: string) =>
    request<{ item: TriageItemView }>("POST", triagePath(conversationId, "route"), { physicianId }),
  triageRespond: (conversationId: string, responseId: CannedResponseId) =>
    request<{ message: ChatMessage; item: TriageItemView | null }>("POST", triagePath(conversationId, "respond"), { responseId }),
  triagePreview: (conversationId: string) => request<{ preview: string }>("POST", triagePath(conversationId, "preview")),
  // ---- admin ----
  createUser: (input: CreateUserInput) => request<{ user: PublicUser }>("POST", "/api/admin/users", input),
  disableUser: (userId: string) =>
    request<{ user: PublicUser & { active: false }; ended: number }>("POST", `/api/admin/users/${encodeURIComponent(userId)}/disable`),
  setCareTeam: (patientId: string, physicianIds: string[]) =>
    request<{ careTeam: CareTeamView }>("POST", "/api/admin/care-teams", { patientId, physicianIds }),
  audit: (params: AuditParams) => request<{ entries: AuditEntryView[] }>("GET", `/api/audit${queryString(params)}`),
  anomalies: (status?: "open" | "closed") =>
    request<{ anomalies: AnomalyView[] }>("GET", `/api/admin/anomalies${queryString({ status, limit: 200 })}`),
  closeAnomaly: (id: string, resolution: AnomalyResolution) =>
    request<{ anomaly: AnomalyView }>("POST", `/api/admin/anomalies/${encodeURIComponent(id)}/close`, { resolution }),
  training: () => request<{ staff: TrainingStatusView[] }>("GET", "/api/admin/training"),
  recordTraining: (input: TrainingRecordInput) => request<{ record: TrainingRecordView }>("POST", "/api/admin/training", input),
  /** The disclosure accounting as a file (CSV or FHIR JSON), fetched so errors can be shown. */
  disclosures: (patientId: string, params: { from?: string; to?: string; format: "csv" | "fhir" }) =>
    download(`/api/admin/patients/${encodeURIComponent(patientId)}/disclosures${queryString(params)}`),
  // ---- account security (every signed-in user) ----
  mfaEnroll: () => request<MfaEnrollment>("POST", "/api/auth/mfa/enroll", {}),
  mfaConfirm: (totp: string) => request<{ mfa: MfaStatus }>("POST", "/api/auth/mfa/confirm", { totp }),
  sessions: () => request<{ sessions: SessionView[] }>("GET", "/api/auth/sessions"),
  endSession: (handle: string) => request<void>("DELETE", `/api/auth/sessions/${encodeURIComponent(handle)}`),
  endOtherSessions: () => request<{ ended: number }>("DELETE", "/api/auth/sessions"),
  changePassword: (input: ChangePasswordInput) => request<{ ended: number }>("POST", "/api/auth/password", input, { checksPassword: true }),
};

const triagePath = (conversationId: string, action: string) => `/api/triage/${encodeURIComponent(conversationId)}/${action}`;

/** A file from the API: the body as a Blob and the server's file name. Errors as `ApiError`. */
async function download(path: string): Promise<{ blob: Blob; filename: string | null }> {
  const sentAt = Date.now();
  let res: Response;
  try {
    res = await fetch(path, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, "NETWORK", "The server could not be reached. Check your connection and try again.");
  }
  if (res.status !== 401) hooks.activity?.(sentAt);
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => null);
    const error = errorFrom(res.status, body);
    if (res.status === 401) hooks.unauthenticated?.(error);
    if (res.status === 403 && error.code === "MFA_ENROLLMENT_REQUIRED") hooks.mfaRequired?.();
    throw error;
  }
  const disposition = res.headers.get("content-disposition") ?? "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? null;
  return { blob: await res.blob(), filename };
}

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
