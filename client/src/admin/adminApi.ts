/**
 * Admin calls added with account search, MFA reset and audit paging. Searches are POSTs:
 * names and emails are PHI and must not sit in URLs (history, proxies, access logs).
 */
import type { AuditPage, CareTeamResponse, MfaResetReason, MfaResetResponse, Role, UserSearchResponse } from "@glp1/shared";
import { queryString, request, type AuditParams } from "../api.js";

export const adminApi = {
  searchUsers: (q: string, options: { role?: Role; limit?: number } = {}) =>
    request<UserSearchResponse>("POST", "/api/admin/users/search", { q, ...options }),
  resetMfa: (userId: string, reason: MfaResetReason) =>
    request<MfaResetResponse>("POST", `/api/admin/users/${encodeURIComponent(userId)}/mfa/reset`, { reason }),
  /** A patient's care team as it stands (audited as a read of that patient). */
  careTeam: (patientId: string) => request<CareTeamResponse>("GET", `/api/admin/care-teams/${encodeURIComponent(patientId)}`),
  /** One page of the audit trail, newest first; pass the previous answer's `next` as `before`. */
  auditPage: (params: AuditParams & { before?: string }) => request<AuditPage>("GET", `/api/audit${queryString(params)}`),
};

/** How the reset reasons read to a person. */
export const MFA_RESET_LABELS: Record<MfaResetReason, string> = {
  LOST_DEVICE: "Lost or broken device",
  NEW_DEVICE: "Moving to a new device",
  SUSPECTED_COMPROMISE: "Suspected compromise",
  OTHER: "Other",
};
