export { createAdminRoutes, type AdminRouteDeps } from "./admin.routes.js";
export { createAdminService, type AdminService, type CareTeamView } from "./admin.service.js";
export { classifyQuery, foldName, matchesWordPrefixes, nameWords } from "./admin.search.js";
