export * from "./drugs.js";
export * from "./metrics.js";
export * from "./redFlags.js";
export * from "./alerts.js";
export * from "./prescriptions.js";
export * from "./intake.js";
export * from "./trials.js";
