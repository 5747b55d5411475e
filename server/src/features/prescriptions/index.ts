export { createPrescriptionModels, toPrescriptionView, type Prescription, type PrescriptionModel, type SigningKeyModel } from "./prescriptions.model.js";
export { createPrescriptionService, type PrescriptionService, TITRATION_OVERRIDE } from "./prescriptions.service.js";
export { createPrescriptionRoutes } from "./prescriptions.routes.js";
export { canonicalPrescription } from "./signing.js";
