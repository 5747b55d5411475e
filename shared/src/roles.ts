/** The four kinds of account. Order matters nowhere; membership is what counts. */
export const ROLES = ["patient", "physician", "support", "admin"] as const;
export type Role = (typeof ROLES)[number];
