import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import session from "express-session";
import { Redis } from "ioredis";
import mongoose, { type Connection } from "mongoose";
import { createAuditModel } from "./audit/audit.model.js";
import { createAuditRoutes } from "./audit/audit.routes.js";
import { AuditWriter } from "./audit/audit.writer.js";
import { createAuthRoutes } from "./auth/auth.routes.js";
import { type AuthService, createAuthService } from "./auth/auth.service.js";
import { createCareTeamModel } from "./auth/careTeam.model.js";
import { RedisSessionStore } from "./auth/session.store.js";
import { createUserModel } from "./auth/user.model.js";
import type { Config } from "./config/config.js";
import { createAdminRoutes } from "./features/admin/admin.routes.js";
import { type AdminService, createAdminService } from "./features/admin/admin.service.js";
import { createChatModels } from "./features/chat/chat.model.js";
import { createChatRoutes } from "./features/chat/chat.routes.js";
import { type ChatService, createChatService } from "./features/chat/chat.service.js";
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
import { FieldCipher } from "./infra/crypto/fieldCipher.js";
import { Keyring } from "./infra/crypto/keyring.js";
import { createLogger, type Logger } from "./infra/logger.js";
import { createRealtime } from "./realtime/realtime.js";

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
  };
  await Promise.all(Object.values(models).map((m) => m.init()));
  return { conn, cipher, models };
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
  services: { auth: AuthService; chat: ChatService; admin: AdminService; access: Access; alerts: AlertService; tasks: TaskService; metrics: MetricsService; prescriptions: PrescriptionService; intake: IntakeService };
  close(): Promise<void>;
}

/** Wire every part, listen, and hand back a handle that shuts down in order. */
export async function startApp(config: Readonly<Config>, opts: { logger?: Logger } = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = await openDatabase(config);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const { models } = db;

  const audit = new AuditWriter(models.audit, { flushMs: config.auditFlushMs, maxBatch: config.auditMaxBatch, nodeId: config.nodeId, logger });
  const sessions = new RedisSessionStore(redis, {
    idleTimeoutMs: config.idleTimeoutMs,
    absoluteLifetimeMs: config.absoluteLifetimeMs,
    prefix: `${config.namespace}:sess:`,
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
  const chat = createChatService(models);
  const admin = createAdminService(models);
  const notifier = createNotifier();
  const access = createAccess(models);
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

  const httpServer = createServer();
  const realtime = createRealtime(httpServer, {
    redis,
    sessions,
    audit,
    logger,
    handlers: { ...chatSocketHandlers(chat), ...metricsSocketHandlers(metrics), ...alertSocketHandlers(alerts) },
    allowedOrigins: config.allowedOrigins,
    cookieName,
    sessionSecret: config.sessionSecret,
    sweepMs: config.sessionSweepMs,
    namespace: config.namespace,
    trustProxy: config.trustProxy !== false,
  });

  notifier.bind(realtime.io);

  const app = createHttpApp({
    logger,
    allowedOrigins: config.allowedOrigins,
    sessionMiddleware,
    cookieName,
    trustProxy: config.trustProxy,
    secureCookies: config.secureCookies,
    clientDist: config.clientDist,
    api: [
      [
        "/auth",
        createAuthRoutes({
          auth,
          audit,
          sessions,
          idleTimeoutMs: config.idleTimeoutMs,
          absoluteLifetimeMs: config.absoluteLifetimeMs,
          endSessionSockets: realtime.endSession,
        }),
      ],
      ["/conversations", createChatRoutes({ chat, audit })],
      ["/admin", createAdminRoutes({ auth, admin, audit })],
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
    ],
    ready: async () => {
      await db.conn.db!.admin().ping();
      await redis.ping();
    },
  });
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
      await realtime.close(); // stops accepting, ends sockets, closes the HTTP server
      await audit.close();
      redis.disconnect();
      await db.conn.close();
    })());

  return { url: `http://${host}:${port}`, port, config, db, redis, audit, sessions, httpServer, logger, services: { auth, chat, admin, access, alerts, tasks, metrics, prescriptions, intake }, close };
}
