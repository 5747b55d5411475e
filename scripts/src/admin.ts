import { createUserSchema } from "@glp1/shared";
import { openDatabase } from "../../server/src/app.js";
import { AuditWriter } from "../../server/src/audit/audit.writer.js";
import { createAuthService } from "../../server/src/auth/auth.service.js";
import { AppError, parseInput } from "../../server/src/http/errors.js";
import { createLogger } from "../../server/src/infra/logger.js";
import { cliConfig, parseFlags } from "./cli-env.js";

const USAGE = `usage: npm run admin -- create-user --role <patient|physician|support|admin> --email E --password P --name N`;

/** The admin command line. Every change it makes is audited like one made through the API. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`admin failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
