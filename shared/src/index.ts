export * from "./roles.js";
export * from "./errors.js";
export * from "./auth.js";
export * from "./chat.js";
export * from "./audit.js";
export * from "./events.js";
export * from "./clinical/index.js";
