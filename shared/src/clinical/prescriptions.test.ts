import { describe, expect, it } from "vitest";
import type { DrugName } from "./drugs.js";
import {
  canTransition,
  checkTitration,
  createPrescriptionSchema,
  currentDose,
  nextAllowedStep,
  PRESCRIPTION_STATUSES,
  type TitrationHistoryEntry,
} from "./prescriptions.js";

const NOW = new Date("2025-06-30T12:00:00Z");
const DAY = 24 * 60 * 60 * 1000;
const weeksAgo = (w: number) => new Date(NOW.getTime() - w * 7 * DAY);
const rx = (drug: DrugName, doseMg: number, weeks: number): TitrationHistoryEntry => ({ drug, doseMg, signedAt: weeksAgo(weeks) });
const sema = (mg: number, weeks: number) => rx("semaglutide", mg, weeks);
const tirz = (mg: number, weeks: number) => rx("tirzepatide", mg, weeks);

describe("checkTitration (CLINICAL.md ladders)", () => {
  it.each([
    // [name, history, proposal drug, mg, expected]
    ["semaglutide first prescription at 0.25 starts", [], "semaglutide", 0.25, { ok: true, kind: "start" }],
    ["semaglutide first prescription at 0.5 is refused", [], "semaglutide", 0.5, { ok: false, rule: "FIRST_STEP" }],
    ["tirzepatide first prescription at 2.5 starts", [], "tirzepatide", 2.5, { ok: true, kind: "start" }],
    ["tirzepatide first prescription at 5 is refused", [], "tirzepatide", 5, { ok: false, rule: "FIRST_STEP" }],
    ["semaglutide 0.25 → 0.5 after 4 weeks escalates", [sema(0.25, 4)], "semaglutide", 0.5, { ok: true, kind: "escalate" }],
    ["semaglutide 0.25 → 0.5 after 3 weeks is too early", [sema(0.25, 3)], "semaglutide", 0.5, { ok: false, rule: "MIN_WEEKS" }],
    ["semaglutide 0.25 → 0.5 one day short of 4 weeks is too early", [sema(0.25, 4 - 1 / 7)], "semaglutide", 0.5, { ok: false, rule: "MIN_WEEKS" }],
    ["semaglutide 0.25 → 1.0 skips a step", [sema(0.25, 8)], "semaglutide", 1.0, { ok: false, rule: "ONE_STEP" }],
    ["semaglutide 1.7 → 2.4 after 4 weeks escalates", [sema(0.25, 16), sema(0.5, 12), sema(1.0, 8), sema(1.7, 4)], "semaglutide", 2.4, { ok: true, kind: "escalate" }],
    ["semaglutide 2.4 → 1.7 decreases", [sema(2.4, 1)], "semaglutide", 1.7, { ok: true, kind: "decrease" }],
    ["semaglutide 2.4 → 0.25 decreases (any step down)", [sema(2.4, 0)], "semaglutide", 0.25, { ok: true, kind: "decrease" }],
    ["semaglutide hold at 0.5 one week in", [sema(0.25, 6), sema(0.5, 1)], "semaglutide", 0.5, { ok: true, kind: "hold" }],
    ["semaglutide hold at the top of the ladder", [sema(2.4, 20)], "semaglutide", 2.4, { ok: true, kind: "hold" }],
    ["tirzepatide 2.5 → 5 after 4 weeks escalates", [tirz(2.5, 4)], "tirzepatide", 5, { ok: true, kind: "escalate" }],
    ["tirzepatide 2.5 → 5 after 2 weeks is too early", [tirz(2.5, 2)], "tirzepatide", 5, { ok: false, rule: "MIN_WEEKS" }],
    ["tirzepatide 5 → 10 skips 7.5", [tirz(2.5, 12), tirz(5, 8)], "tirzepatide", 10, { ok: false, rule: "ONE_STEP" }],
    ["tirzepatide 12.5 → 15 after 4 weeks escalates", [tirz(12.5, 5)], "tirzepatide", 15, { ok: true, kind: "escalate" }],
    ["tirzepatide 15 → 10 decreases", [tirz(15, 2)], "tirzepatide", 10, { ok: true, kind: "decrease" }],
    ["semaglutide 3 mg is not on the ladder", [], "semaglutide", 3, { ok: false, rule: "NOT_ON_LADDER", overridable: false }],
    ["semaglutide 3 mg is refused with any history", [sema(2.4, 10)], "semaglutide", 3, { ok: false, rule: "NOT_ON_LADDER" }],
    ["tirzepatide 6 mg is not on the ladder", [tirz(5, 10)], "tirzepatide", 6, { ok: false, rule: "NOT_ON_LADDER" }],
    ["semaglutide 2.5 mg (a tirzepatide step) is not on its ladder", [], "semaglutide", 2.5, { ok: false, rule: "NOT_ON_LADDER" }],
    ["switch semaglutide → tirzepatide at the first step", [sema(2.4, 10)], "tirzepatide", 2.5, { ok: true, kind: "switch" }],
    ["switch semaglutide → tirzepatide at 5 mg is refused", [sema(2.4, 10)], "tirzepatide", 5, { ok: false, rule: "SWITCH_DRUG" }],
    ["switch back to semaglutide restarts it at 0.25", [sema(1.0, 20), tirz(2.5, 4)], "semaglutide", 0.25, { ok: true, kind: "switch" }],
    ["switch back to semaglutide at the old dose is refused", [sema(1.0, 20), tirz(2.5, 4)], "semaglutide", 1.0, { ok: false, rule: "SWITCH_DRUG" }],
  ] as const)("%s", (_name, history, drug, doseMg, expected) => {
    expect(checkTitration(history, { drug, doseMg }, NOW)).toMatchObject(expected);
  });

  it("marks every rule but NOT_ON_LADDER as overridable", () => {
    expect(checkTitration([], { drug: "semaglutide", doseMg: 0.5 }, NOW)).toMatchObject({ overridable: true, kind: "start" });
    expect(checkTitration([sema(0.25, 1)], { drug: "semaglutide", doseMg: 0.5 }, NOW)).toMatchObject({ overridable: true, kind: "escalate" });
    expect(checkTitration([sema(0.25, 9)], { drug: "semaglutide", doseMg: 1.7 }, NOW)).toMatchObject({ overridable: true });
  });

  it("counts the 4 weeks from the first signing at the current dose, not from a renewal", () => {
    // 0.25 signed 5 weeks ago, renewed at 0.25 one week ago: 5 weeks at the dose.
    expect(checkTitration([sema(0.25, 5), sema(0.25, 1)], { drug: "semaglutide", doseMg: 0.5 }, NOW)).toEqual({ ok: true, kind: "escalate" });
  });

  it("restarts the clock after a change of dose (down, then up again)", () => {
    const history = [sema(0.25, 20), sema(0.5, 16), sema(1.0, 12), sema(0.5, 2)];
    expect(checkTitration(history, { drug: "semaglutide", doseMg: 1.0 }, NOW)).toMatchObject({ ok: false, rule: "MIN_WEEKS" });
  });

  it("orders history by signing date, whatever order it comes in, and accepts ISO strings", () => {
    const history = [
      { drug: "semaglutide" as const, doseMg: 0.5, signedAt: weeksAgo(5).toISOString() },
      { drug: "semaglutide" as const, doseMg: 0.25, signedAt: weeksAgo(10).toISOString() },
    ];
    expect(currentDose(history)).toEqual({ drug: "semaglutide", doseMg: 0.5, since: weeksAgo(5).toISOString() });
    expect(checkTitration(history, { drug: "semaglutide", doseMg: 1.0 }, NOW)).toEqual({ ok: true, kind: "escalate" });
  });

  it("never puts a dose in its message", () => {
    const r = checkTitration([sema(0.25, 1)], { drug: "semaglutide", doseMg: 1.7 }, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).not.toMatch(/\d\.\d|mg/);
  });
});

describe("nextAllowedStep", () => {
  it("offers each drug's first step when there is no history", () => {
    const n = nextAllowedStep([], NOW);
    expect(n.current).toBeNull();
    expect(n.suggested).toBeNull();
    expect(n.allowed).toEqual([
      { drug: "semaglutide", doseMg: 0.25, kind: "start" },
      { drug: "tirzepatide", doseMg: 2.5, kind: "start" },
    ]);
  });

  it("shows when the next step becomes due, and suggests holding until then", () => {
    const n = nextAllowedStep([sema(0.25, 2)], NOW);
    expect(n.current).toMatchObject({ drug: "semaglutide", doseMg: 0.25, weeksAtDose: 2 });
    expect(n.escalation).toEqual({ doseMg: 0.5, eligibleAt: weeksAgo(-2).toISOString(), due: false });
    expect(n.suggested).toEqual({ drug: "semaglutide", doseMg: 0.25, kind: "hold" });
    expect(n.allowed).toContainEqual({ drug: "tirzepatide", doseMg: 2.5, kind: "switch" });
    expect(n.allowed.some((a) => a.kind === "escalate")).toBe(false);
  });

  it("suggests the next step once due and lists the same doses checkTitration allows", () => {
    const history = [sema(0.25, 9), sema(0.5, 5)];
    const n = nextAllowedStep(history, NOW);
    expect(n.suggested).toEqual({ drug: "semaglutide", doseMg: 1.0, kind: "escalate" });
    expect(n.escalation?.due).toBe(true);
    expect(n.allowed.filter((a) => a.drug === "semaglutide")).toEqual([
      { drug: "semaglutide", doseMg: 0.25, kind: "decrease" },
      { drug: "semaglutide", doseMg: 0.5, kind: "hold" },
      { drug: "semaglutide", doseMg: 1.0, kind: "escalate" },
    ]);
  });

  it("has no escalation at the top of the ladder", () => {
    const n = nextAllowedStep([tirz(15, 30)], NOW);
    expect(n.escalation).toBeNull();
    expect(n.suggested).toEqual({ drug: "tirzepatide", doseMg: 15, kind: "hold" });
  });
});

describe("status machine", () => {
  const legal = new Set(["draft>signed", "draft>cancelled", "signed>sent", "signed>cancelled", "sent>filled", "sent>cancelled"]);
  const pairs = PRESCRIPTION_STATUSES.flatMap((from) => PRESCRIPTION_STATUSES.map((to) => [from, to] as const));
  it.each(pairs)("%s → %s", (from, to) => {
    expect(canTransition(from, to)).toBe(legal.has(`${from}>${to}`));
  });
});

describe("createPrescriptionSchema", () => {
  const ok = { patientId: "66a1b2c3d4e5f6a7b8c9d0e1", drug: "semaglutide", doseMg: 0.25, directions: "Inject 0.25 mg once weekly", quantity: 1, refills: 0 };
  it("accepts a well-formed prescription", () => {
    expect(createPrescriptionSchema.safeParse(ok).success).toBe(true);
    expect(createPrescriptionSchema.safeParse({ ...ok, overrideReason: "Tolerated well on prior program" }).success).toBe(true);
  });
  it.each([
    ["an unknown drug", { drug: "liraglutide" }],
    ["a zero dose", { doseMg: 0 }],
    ["empty directions", { directions: "   " }],
    ["directions over 500 characters", { directions: "x".repeat(501) }],
    ["no pens", { quantity: 0 }],
    ["13 pens", { quantity: 13 }],
    ["a fractional quantity", { quantity: 1.5 }],
    ["12 refills", { refills: 12 }],
    ["negative refills", { refills: -1 }],
    ["a short override reason", { overrideReason: "because" }],
    ["an unknown field", { status: "signed" }],
    ["a bad patient id", { patientId: "nope" }],
  ])("refuses %s", (_name, patch) => {
    expect(createPrescriptionSchema.safeParse({ ...ok, ...patch }).success).toBe(false);
  });
});
