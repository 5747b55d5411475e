import { describe, expect, it } from "vitest";
import { chatSendSchema, isBlankMessage } from "./chat.js";

const send = (body: string) => chatSendSchema.safeParse({ conversationId: "0".repeat(24), body, clientId: "abcdefgh" });

describe("chat message bodies (unit)", () => {
  it("counts only what a reader would see: zero-width characters and spaces are blank", () => {
    expect(isBlankMessage(" \n\t")).toBe(true);
    expect(isBlankMessage("\u200b\u200c\u200d\u2060\ufeff ")).toBe(true);
    expect(isBlankMessage("\u200bok")).toBe(false);
  });

  it("keeps newlines, tabs, right-to-left text and its marks; refuses overrides, isolates and other controls", () => {
    for (const ok of ["line one\nline two", "dose:\t0.5 mg", "الجرعة ٠٫٥ ملغ", "שלום\u200f 0.5 mg", "emoji 💉 ok"]) expect(send(ok).success).toBe(true);
    for (const bad of ["\u202egnp.exe", "a\u2066b\u2069", "bell\u0007", "nul\u0000", "\u200b"]) expect(send(bad).success).toBe(false);
  });
});
