export { createPatientStatsModel, type PatientStatsModel } from "./stats.model.js";
export { createPatientStatsService, type PatientStats, type PatientStatsService } from "./stats.service.js";
export { baselineOf, createDashboardService, type DashboardService, historiesOf, WEEK_MS } from "./dashboard.service.js";
export { createDashboardFeed, type DashboardFeed, tapNotifier } from "./feed.js";
export { createPresence, type Presence } from "./presence.js";
export { createDashboardRoutes } from "./dashboard.routes.js";
export { dashboardSocketHandlers } from "./dashboard.socket.js";
