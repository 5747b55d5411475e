import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, parseInput, toErrorBody } from "./errors.js";

describe("toErrorBody", () => {
  it.each([
    ["an AppError", new AppError("FORBIDDEN", "no"), 403, "FORBIDDEN"],
    ["a validation AppError", new AppError("VALIDATION_FAILED", "bad", ["email"]), 400, "VALIDATION_FAILED"],
    ["a conflict", new AppError("CONFLICT", "taken"), 409, "CONFLICT"],
    ["an illegal status change", new AppError("INVALID_TRANSITION", "already signed"), 409, "INVALID_TRANSITION"],
    ["a titration rule", new AppError("TITRATION_RULE", "one step at a time"), 422, "TITRATION_RULE"],
    ["an audit outage", new AppError("AUDIT_UNAVAILABLE", "down"), 503, "AUDIT_UNAVAILABLE"],
    ["an oversize body", Object.assign(new Error("too large"), { type: "entity.too.large", status: 413, expose: true }), 413, "PAYLOAD_TOO_LARGE"],
    ["malformed JSON", Object.assign(new Error("Unexpected token"), { type: "entity.parse.failed", status: 400, expose: true }), 400, "BAD_REQUEST"],
    ["another client error", Object.assign(new Error("x"), { status: 415, expose: true }), 415, "BAD_REQUEST"],
    ["an unknown error", new Error("db exploded with patient Jane"), 500, "INTERNAL"],
    ["a thrown string", "boom", 500, "INTERNAL"],
  ])("maps %s", (_name, err, status, code) => {
    const out = toErrorBody(err);
    expect(out.status).toBe(status);
    expect(out.body.code).toBe(code);
    if (code === "INTERNAL") expect(out.body.message).not.toContain("Jane");
  });
});

describe("parseInput", () => {
  it("names the failing fields without echoing their values", () => {
    const schema = z.strictObject({ email: z.email(), age: z.number() });
    try {
      parseInput(schema, { email: "jane.doe.secret", age: "x" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).fields).toEqual(["email", "age"]);
      expect((err as AppError).message).not.toContain("jane.doe.secret");
    }
  });
});
