import { createUserSchema } from "@glp1/shared";
import { openDatabase } from "../../server/src/app.js";
import { AuditWriter } from "../../server/src/audit/audit.writer.js";
import { createAuthService } from "../../server/src/auth/auth.service.js";
import { createAdminService } from "../../server/src/features/admin/admin.service.js";
import { AppError, parseInput } from "../../server/src/http/errors.js";
import { createLogger } from "../../server/src/infra/logger.js";
import { cliConfig, parseFlags } from "./cli-env.js";

const USAGE = [
  "usage: npm run admin -- create-user --role <patient|physician|support|admin> --email E --password P --name N",
  "       npm run admin -- set-care-team --patient EMAIL --physicians EMAIL[,EMAIL…]",
].join("\n");

/** The admin command line. Every change it makes is audited like one made through the API. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "set-care-team") return setCareTeam(parseFlags(rest));
  if (command !== "create-user") {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const flags = parseFlags(rest);
  let input;
  try {
    input = parseInput(createUserSchema, { role: flags.role, email: flags.email, password: flags.password, name: flags.name });
  } catch (err) {
    process.stderr.write(`${err instanceof AppError ? err.message : "invalid input"}\n${USAGE}\n`);
    return 2;
  }
  const config = cliConfig();
  const db = await openDatabase(config);
  const logger = createLogger("warn");
  const audit = new AuditWriter(db.models.audit, { flushMs: 0, maxBatch: 10, nodeId: "cli", logger });
  try {
    const auth = createAuthService({ users: db.models.users, cipher: db.cipher, bcryptCost: config.bcryptCost });
    const user = await auth.createUser(input);
    await audit.record({
      action: "admin:create_user",
      resource: "user",
      resourceId: String(user._id),
      patientId: user.role === "patient" ? String(user._id) : null,
      role: "system",
      outcome: "success",
      userAgent: "admin-cli",
    });
    process.stdout.write(`created ${user.role} ${String(user._id)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await audit.close();
    await db.conn.close();
  }
}

/** Link a patient to their physician(s) by email and open their conversations. */
async function setCareTeam(flags: Record<string, string>): Promise<number> {
  const emails = (flags.physicians ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  if (!flags.patient || emails.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = cliConfig();
  const db = await openDatabase(config);
  const audit = new AuditWriter(db.models.audit, { flushMs: 0, maxBatch: 10, nodeId: "cli", logger: createLogger("warn") });
  try {
    const auth = createAuthService({ users: db.models.users, cipher: db.cipher, bcryptCost: config.bcryptCost });
    const find = async (email: string, role: "patient" | "physician") => {
      const u = await db.models.users.findOne({ emailIndex: auth.emailIndex(email), role }, { _id: 1 }).lean();
      if (!u) throw new AppError("NOT_FOUND", `no ${role} account with that email`);
      return String(u._id);
    };
    const patientId = await find(flags.patient, "patient");
    const physicianIds = [];
    for (const e of emails) physicianIds.push(await find(e, "physician"));
    const team = await createAdminService(db.models).setCareTeam({ patientId, physicianIds }, { resource: "careteam" });
    await audit.record({ action: "admin:care_team", resource: "careteam", resourceId: patientId, patientId, role: "system", outcome: "success", userAgent: "admin-cli" });
    process.stdout.write(`care team set: ${physicianIds.length} physician(s), ${team.conversationIds.length} conversation(s)\n`);
    return 0;
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await audit.close();
    await db.conn.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`admin failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
