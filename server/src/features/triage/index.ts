export { createTriageModel, type TriageModel } from "./triage.model.js";
export { createTriageService, type TriageService, type TriageOptions } from "./triage.service.js";
export { createTriageRoutes } from "./triage.routes.js";
export { triageSocketHandlers } from "./triage.socket.js";
export { clinicOpen, nightKey } from "./hours.js";
