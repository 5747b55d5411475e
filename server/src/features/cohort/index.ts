export { createCohortService, type CohortService } from "./cohort.service.js";
export { createCohortRoutes } from "./cohort.routes.js";
