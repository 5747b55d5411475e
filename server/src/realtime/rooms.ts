/** Room names. Membership is decided on the server from the database, never by the client. */
export const rooms = {
  user: (id: string) => `user:${id}`,
  session: (sid: string) => `session:${sid}`,
  conversation: (id: string) => `conversation:${id}`,
  patient: (id: string) => `patient:${id}`,
  triage: "triage",
} as const;
