export { createBreakGlassModel, type BreakGlassModel } from "./breakglass.model.js";
export { createBreakGlassService, type BreakGlassService, BREAK_GLASS_GRANTED } from "./breakglass.service.js";
export { createBreakGlassRoutes } from "./breakglass.routes.js";
