export { type AnomalyDetector, type AnomalyRules, createAnomalyDetector, DEFAULT_ANOMALY_RULES } from "./anomalies.detector.js";
export { type AnomalyModel, createAnomalyModel } from "./anomalies.model.js";
export { type AnomalyService, createAnomalyService } from "./anomalies.service.js";
export { createAnomalyRoutes } from "./anomalies.routes.js";
export { createDisclosureService, type DisclosureService } from "./disclosures.js";
export { createDisclosureRoutes } from "./disclosures.routes.js";
export { createTrainingModel, type TrainingModel } from "./training.model.js";
export { createTrainingService, type TrainingService } from "./training.service.js";
export { createTrainingRoutes } from "./training.routes.js";
