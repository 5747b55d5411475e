import { describe, expect, it } from "vitest";
import { CHAT_RED_FLAGS, classifyPatientMessage } from "./triage.js";

describe("classifyPatientMessage (unit)", () => {
  it.each([
    ["I have chest pain since this morning", "red_flag", "urgent", "chest_pain"],
    ["I've had SEVERE stomach pain all night", "red_flag", "urgent", "abdominal_pain"],
    ["stomach pain radiating to my back", "red_flag", "urgent", "abdominal_pain"],
    ["sometimes I think I want to kill myself", "red_flag", "urgent", "suicidal"],
    ["I can't breathe properly", "red_flag", "urgent", "breathing"],
    ["my throat is swelling after the shot", "red_flag", "urgent", "swelling"],
    ["my eyes are turning yellow", "red_flag", "urgent", "jaundice"],
    ["I noticed a lump in my neck", "red_flag", "high", "neck_lump"],
    ["Can I get a refill please?", "request", "normal", null],
    ["Weight is down 2 kg, feeling good", "unanswered", "normal", null],
    // Word boundaries: no match inside other words, and a mild complaint is not a red flag.
    ["my chestpainting class was fun", "unanswered", "normal", null],
    ["mild stomach ache today", "unanswered", "normal", null],
  ])("%s → %s/%s", (body, category, priority, ruleId) => {
    expect(classifyPatientMessage(body)).toEqual({ category, priority, ruleId });
  });

  it("takes the strongest rule when several match", () => {
    expect(classifyPatientMessage("lump in my neck and now chest pain").priority).toBe("urgent");
  });

  it("runs in linear time on adversarial input (no catastrophic backtracking)", () => {
    const inputs = [
      "chest ".repeat(700),
      "severe ".repeat(600) + "x",
      `${"can't ".repeat(600)}breath`,
      `${"a".repeat(4000)}!`,
      `${" ".repeat(3990)}chest`,
      "swelling of of of of ".repeat(200),
    ];
    for (const text of inputs) {
      const t0 = performance.now();
      for (const rule of CHAT_RED_FLAGS) rule.pattern.test(text);
      classifyPatientMessage(text);
      expect(performance.now() - t0).toBeLessThan(50);
    }
  });
});
