import { readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import session from "express-session";
import { Redis } from "ioredis";
import mongoose, { type Connection } from "mongoose";
import { createAuditModel, readChainAfter } from "./audit/audit.model.js";
import { createAuditRoutes } from "./audit/audit.routes.js";
import { AuditWriter } from "./audit/audit.writer.js";
import { createAuthRoutes } from "./auth/auth.routes.js";
import { type AuthService, createAuthService } from "./auth/auth.service.js";
import { createCareTeamModel } from "./auth/careTeam.model.js";
import { RedisSessionStore } from "./auth/session.store.js";
import { createLimits, type Limits } from "./auth/limits.js";
import { createMfaGate } from "./auth/mfa.gate.js";
import { createMfaService } from "./auth/mfa.service.js";
import { RateLimiter } from "./auth/rate-limit.js";
import { createAccountAdminRoutes } from "./auth/sessions.routes.js";
import { trustProxySetting } from "./http/request.js";
import { createUserModel } from "./auth/user.model.js";
import type { Config } from "./config/config.js";
import { createAdminRoutes } from "./features/admin/admin.routes.js";
import { type AdminService, createAdminService } from "./features/admin/admin.service.js";
import { createChatModels } from "./features/chat/chat.model.js";
import { backfillCounters } from "./features/chat/counters.js";
import { createChatRoutes } from "./features/chat/chat.routes.js";
import { type ChatHooks, type ChatService, createChatService } from "./features/chat/chat.service.js";
import { chatSocketHandlers } from "./features/chat/chat.socket.js";
import { createAlertModel } from "./features/alerts/alerts.model.js";
import { type AlertService, createAlertService } from "./features/alerts/alerts.service.js";
import { createTaskModel } from "./features/tasks/tasks.model.js";
import { createAlertRoutes } from "./features/alerts/alerts.routes.js";
import { alertSocketHandlers } from "./features/alerts/alerts.socket.js";
import { createReadingModel } from "./features/metrics/metrics.model.js";
import { createMetricsRoutes } from "./features/metrics/metrics.routes.js";
import { createMetricsService, type MetricsService } from "./features/metrics/metrics.service.js";
import { metricsSocketHandlers } from "./features/metrics/metrics.socket.js";
import { createFhirRoutes } from "./features/fhir/fhir.routes.js";
import { createFhirService, type FhirSection } from "./features/fhir/fhir.service.js";
import { intakeSection, prescriptionSection } from "./features/fhir/fhir.sections.js";
import { createTaskService, type TaskService } from "./features/tasks/tasks.service.js";
import { createPrescriptionModels, createPrescriptionRoutes, createPrescriptionService, type PrescriptionService } from "./features/prescriptions/index.js";
import { createIntakeModel, createIntakeRoutes, createIntakeService, type IntakeService } from "./features/intake/index.js";
import { type Access, createAccess } from "./auth/access.js";
import { createNotifier } from "./realtime/notifier.js";
import { createHttpApp } from "./http/app.js";
import { metaOf } from "./http/request.js";
import { FieldCipher } from "./infra/crypto/fieldCipher.js";
import { Keyring } from "./infra/crypto/keyring.js";
import { watchRedis } from "./infra/redis.js";
import { createLogger, type Logger } from "./infra/logger.js";
import { createRealtime } from "./realtime/realtime.js";
import {
  createDashboardFeed,
  createDashboardRoutes,
  createDashboardService,
  createPatientStatsModel,
  createPatientStatsService,
  createPresence,
  type DashboardFeed,
  type DashboardService,
  dashboardSocketHandlers,
  type PatientStatsService,
  type Presence,
  tapNotifier,
} from "./features/dashboard/index.js";
import { type CohortService, createCohortRoutes, createCohortService } from "./features/cohort/index.js";
import { createTriageModel, createTriageRoutes, createTriageService, type TriageService, triageSocketHandlers } from "./features/triage/index.js";
import { type BreakGlassService, createBreakGlassModel, createBreakGlassRoutes, createBreakGlassService } from "./features/breakglass/index.js";
import { createPatientLookupRoutes } from "./features/breakglass/breakglass.lookup.js";
import {
  type AnomalyDetector,
  type AnomalyService,
  createAnomalyDetector,
  createAnomalyModel,
  createAnomalyRoutes,
  createAnomalyService,
  createDisclosureRoutes,
  createDisclosureService,
  createTrainingModel,
  createTrainingRoutes,
  createTrainingService,
  type DisclosureService,
  type TrainingService,
} from "./features/compliance/index.js";

/** Open the database and build every model on it (indexes built before first use). */
export async function openDatabase(config: Pick<Config, "mongoUri" | "masterKey">) {
  const conn: Connection = await mongoose.createConnection(config.mongoUri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  const keyring = await Keyring.load(conn, config.masterKey);
  const cipher = new FieldCipher(keyring, config.masterKey);
  const models = {
    users: createUserModel(conn, cipher),
    careTeams: createCareTeamModel(conn),
    audit: createAuditModel(conn),
    ...createChatModels(conn, cipher),
    alerts: createAlertModel(conn, cipher),
    readings: createReadingModel(conn, cipher),
    tasks: createTaskModel(conn),
    ...createPrescriptionModels(conn, cipher),
    intakes: createIntakeModel(conn, cipher),
    patientStats: createPatientStatsModel(conn),
    triage: createTriageModel(conn),
    breakGlass: createBreakGlassModel(conn, cipher),
    anomalies: createAnomalyModel(conn),
    trainingRecords: createTrainingModel(conn),
  };
  await Promise.all(Object.values(models).map((m) => m.init()));
  return { conn, cipher, keyring, models };
}

export type Database = Awaited<ReturnType<typeof openDatabase>>;

export interface RunningApp {
  url: string;
  port: number;
  config: Readonly<Config>;
  db: Database;
  redis: Redis;
  audit: AuditWriter;
  sessions: RedisSessionStore;
  httpServer: HttpServer;
  logger: Logger;
  services: {
    auth: AuthService;
    chat: ChatService;
    admin: AdminService;
    access: Access;
    alerts: AlertService;
    tasks: TaskService;
    metrics: MetricsService;
    prescriptions: PrescriptionService;
    intake: IntakeService;
    stats: PatientStatsService;
    dashboard: DashboardService;
    feed: DashboardFeed;
    presence: Presence;
    limits: Limits;
    cohort: CohortService;
    triage: TriageService;
    breakGlass: BreakGlassService;
    anomalyDetector: AnomalyDetector;
    anomalies: AnomalyService;
    disclosures: DisclosureService;
    training: TrainingService;
  };
  close(): Promise<void>;
}

/** Wire every part, listen, and hand back a handle that shuts down in order. */
export async function startApp(config: Readonly<Config>, opts: { logger?: Logger } = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = await openDatabase(config);
  // Learn keys made by a rotation on another node (and the new active key) while running.
  db.keyring.startRefresh();
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  watchRedis(redis, logger, "main");
  const { models } = db;
  // Data written before the unread counters existed gets them before any request is served.
  const backfilled = await backfillCounters(models);
  if (backfilled > 0) logger.info({ conversations: backfilled }, "unread counters backfilled");

  const audit = new AuditWriter(models.audit, {
    flushMs: config.auditFlushMs,
    maxBatch: config.auditMaxBatch,
    highWater: config.auditHighWater,
    maxQueue: config.auditMaxQueue,
    nodeId: config.nodeId,
    logger,
  });
  const sessions = new RedisSessionStore(redis, {
    idleTimeoutMs: config.idleTimeoutMs,
    absoluteLifetimeMs: config.absoluteLifetimeMs,
    prefix: `${config.namespace}:sess:`,
    handleSecret: config.sessionSecret,
  });
  const cookieName = config.secureCookies ? "__Host-glp1.sid" : "glp1.sid";
  const sessionMiddleware = session({
    name: cookieName,
    secret: config.sessionSecret,
    store: sessions,
    resave: false,
    saveUninitialized: false,
    unset: "destroy",
    proxy: config.trustProxy !== false,
    cookie: { httpOnly: true, sameSite: "lax", secure: config.secureCookies, path: "/" },
  });

  const auth = createAuthService({ users: models.users, cipher: db.cipher, bcryptCost: config.bcryptCost });
  const limits = createLimits(new RateLimiter(redis, `${config.namespace}:rl:`), config.rateLimits);
  const mfa = createMfaService({ users: models.users, cipher: db.cipher, issuer: config.mfaIssuer, steps: limits.totpSteps });
  // Filled in below, once triage and the dashboard feed exist.
  const chatHooks: ChatHooks = {};
  const access = createAccess({ ...models, breakGlass: { redis, namespace: config.namespace } });
  const chat = createChatService({ ...models, access, hooks: chatHooks });
  const stats = createPatientStatsService({ stats: models.patientStats, readings: models.readings, cipher: db.cipher });
  const presence = createPresence({ redis, namespace: config.namespace, nodeId: config.nodeId });
  const dashboardWatchers = createPresence({ redis, namespace: config.namespace, nodeId: config.nodeId, set: "dashboard-watch" });
  const baseNotifier = createNotifier();
  const feed = createDashboardFeed({
    careTeams: models.careTeams,
    rowsFor: (physicianId, patientIds) => dashboard.rowsFor(physicianId, patientIds),
    notifier: baseNotifier,
    audit,
    logger,
    options: { coalesceMs: config.dashboardCoalesceMs },
    watching: (physicianIds) => dashboardWatchers.online(physicianIds),
  });
  // Services push through this notifier; the dashboard hears of readings and alerts from it.
  const notifier = tapNotifier(baseNotifier, { feed, stats });
  const admin = createAdminService({ ...models, notifier });
  const alerts = createAlertService({ alerts: models.alerts, access, notifier });
  const tasks = createTaskService({ tasks: models.tasks, access, notifier });
  const prescriptions = createPrescriptionService({ prescriptions: models.prescriptions, signingKeys: models.signingKeys, access, tasks });
  const prescriptionRoutes = createPrescriptionRoutes({ prescriptions, audit });
  const intake = createIntakeService({ intakes: models.intakes, access, alerts, tasks });
  const intakeRoutes = createIntakeRoutes({ intake, audit });
  const metrics = createMetricsService({ readings: models.readings, alerts, access, notifier });
  const metricsRoutes = createMetricsRoutes({ metrics, audit });
  const alertRoutes = createAlertRoutes({ alerts, audit });
  const fhirSections: FhirSection[] = [intakeSection(models.intakes), prescriptionSection(models.prescriptions)];
  const fhir = createFhirService({ users: models.users, readings: models.readings, access, sections: fhirSections });
  const dashboard = createDashboardService({ ...models, cipher: db.cipher, access, alerts, stats, presence });
  const cohort = createCohortService({ users: models.users, prescriptions: models.prescriptions, access, stats });
  const triage = createTriageService({
    items: models.triage,
    conversations: models.conversations,
    messages: models.messages,
    users: models.users,
    careTeams: models.careTeams,
    cipher: db.cipher,
    access,
    notifier,
    audit,
    logger,
    options: { slaMs: config.triageSlaMs, clinicHours: config.clinicHours },
    onPosted: (conv) => feed.markPatient(String(conv.patientId)),
  });
  const breakGlass = createBreakGlassService({ grants: models.breakGlass, users: models.users, access, notifier, ttlMs: config.breakGlassMs });
  // Anomaly detection hears of every committed audit batch; its windows live in Redis (several nodes).
  const anomalyDetector = createAnomalyDetector({
    anomalies: models.anomalies,
    readChain: (chainId, afterSeq, limit) => readChainAfter(models.audit, chainId, afterSeq, limit),
    users: models.users,
    redis,
    namespace: config.namespace,
    notifier,
    logger,
    clinicHours: config.clinicHours,
    rules: config.anomalyRules,
  });
  const stopAnomalyDetection = audit.onCommitted(anomalyDetector.observe);
  // This node's chain is followed; entries a crashed node stored but never examined are examined here.
  await anomalyDetector.track(audit.chainId);
  void anomalyDetector.recover().catch((err: unknown) => logger.warn({ err }, "anomaly recovery failed"));
  const anomalies = createAnomalyService({ anomalies: models.anomalies, detector: anomalyDetector });
  const disclosures = createDisclosureService({ audit: models.audit, users: models.users });
  const training = createTrainingService({ training: models.trainingRecords, users: models.users });
  chatHooks.afterSend = async (conv, message) => {
    await triage.onMessage(conv, message);
    feed.markPatient(String(conv.patientId));
  };
  chatHooks.afterRead = async (conv, readerId) => {
    if (readerId === String(conv.physicianId)) feed.markPatient(String(conv.patientId));
  };

  // With a certificate the server terminates TLS itself (1.2 minimum; 1.3 is preferred by
  // negotiation); otherwise plain HTTP behind a TLS-terminating proxy.
  const httpServer: HttpServer = config.tls
    ? createHttpsServer({ cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile), minVersion: "TLSv1.2" })
    : createServer();
  const realtime = createRealtime(httpServer, {
    redis,
    sessions,
    audit,
    logger,
    handlers: {
      ...chatSocketHandlers(chat),
      ...metricsSocketHandlers(metrics),
      ...alertSocketHandlers(alerts),
      ...dashboardSocketHandlers(dashboardWatchers),
      ...triageSocketHandlers(triage),
    },
    allowedOrigins: config.allowedOrigins,
    cookieName,
    sessionSecret: config.sessionSecret,
    sweepMs: config.sessionSweepMs,
    namespace: config.namespace,
    auditWaitMs: config.auditWaitMs,
    trustProxy: trustProxySetting(config.trustProxy),
    mfaRequiredRoles: config.mfaRequiredRoles,
    limits,
    absoluteLifetimeMs: config.absoluteLifetimeMs,
  });

  notifier.bind(realtime.io);
  presence.attach(realtime.io, (userId, role) => {
    if (role === "patient") feed.markPatient(userId);
  });
  triage.start();

  const app = createHttpApp({
    logger,
    allowedOrigins: config.allowedOrigins,
    sessionMiddleware,
    cookieName,
    trustProxy: config.trustProxy,
    secureCookies: config.secureCookies,
    clientDist: config.clientDist,
    api: [
      // First: password-only sessions of MFA roles reach nothing but sign-in and MFA setup.
      ["/", createMfaGate(config.mfaRequiredRoles, audit)],
      [
        "/auth",
        createAuthRoutes({
          auth,
          audit,
          sessions,
          idleTimeoutMs: config.idleTimeoutMs,
          absoluteLifetimeMs: config.absoluteLifetimeMs,
          endSessionSockets: realtime.endSession,
          mfa,
          limits,
          mfaRequiredRoles: config.mfaRequiredRoles,
        }),
      ],
      ["/conversations", createChatRoutes({ chat, audit })],
      ["/admin", createAdminRoutes({ auth, admin, audit, mfa, sessions, endSessionSockets: realtime.endSession })],
      ["/admin", createAccountAdminRoutes({ auth, audit, sessions, endSessionSockets: realtime.endSession })],
      ["/audit", createAuditRoutes({ audit, model: models.audit })],
      ["/metrics", metricsRoutes.report],
      ["/patients", metricsRoutes.byPatient],
      ["/patients", alertRoutes.byPatient],
      ["/alerts", alertRoutes.ack],
      ["/patients", createFhirRoutes({ fhir, audit })],
      ["/prescriptions", prescriptionRoutes.prescriptions],
      ["/patients", prescriptionRoutes.byPatient],
      ["/intake", intakeRoutes.intake],
      ["/patients", intakeRoutes.byPatient],
      ["/dashboard", createDashboardRoutes({ dashboard, audit })],
      ["/cohort", createCohortRoutes({ cohort, audit })],
      ["/triage", createTriageRoutes({ triage, audit })],
      ["/patients", createBreakGlassRoutes({ breakGlass, audit })],
      ["/breakglass", createPatientLookupRoutes({ users: models.users, auth, audit })],
      ["/admin", createAnomalyRoutes({ anomalies, audit })],
      ["/admin", createDisclosureRoutes({ disclosures, audit })],
      ["/admin", createTrainingRoutes({ training, audit })],
    ],
    admission: (req, _res, next) => {
      audit.waitForCapacity(config.auditWaitMs).then(
        () => next(),
        (err: unknown) => {
          void audit
            .record({ ...metaOf(req), action: "http:request", resource: "api", outcome: "failure", reason: "AUDIT_BACKPRESSURE" })
            .catch(() => undefined);
          next(err);
        },
      );
    },
    ready: async () => {
      await db.conn.db!.admin().ping();
      await redis.ping();
    },
  });
  // TRUST_PROXY as a hop count ("1") or address list, the same rule the sockets use.
  app.set("trust proxy", trustProxySetting(config.trustProxy));
  httpServer.on("request", app);

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      triage.stop();
      baseNotifier.unbind();
      await realtime.close(); // stops accepting, ends sockets, closes the HTTP server
      await feed.close();
      await presence.close();
      await audit.close();
      stopAnomalyDetection();
      await anomalyDetector.close();
      redis.disconnect();
      db.keyring.stopRefresh();
      await db.conn.close();
    })());

  return {
    url: `${config.tls ? "https" : "http"}://${host}:${port}`,
    port,
    config,
    db,
    redis,
    audit,
    sessions,
    httpServer,
    logger,
    services: { auth, chat, admin, access, alerts, tasks, metrics, prescriptions, intake, stats, dashboard, feed, presence, limits, cohort, triage, breakGlass, anomalyDetector, anomalies, disclosures, training },
    close,
  };
}
