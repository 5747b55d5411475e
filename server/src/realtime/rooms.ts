/** Room names. Membership is decided on the server from the database, never by the client. */
export const rooms = {
  user: (id: string) => `user:${id}`,
  session: (sid: string) => `session:${sid}`,
  conversation: (id: string) => `conversation:${id}`,
  patient: (id: string) => `patient:${id}`,
  triage: "triage",
  /** A physician's live dashboard (joined on `dashboard:subscribe`). */
  dashboard: (physicianId: string) => `dashboard:${physicianId}`,
} as const;
