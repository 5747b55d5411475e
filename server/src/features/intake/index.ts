export { createIntakeModel, type Intake, type IntakeModel } from "./intake.model.js";
export { createIntakeService, type IntakeService } from "./intake.service.js";
export { createIntakeRoutes } from "./intake.routes.js";
