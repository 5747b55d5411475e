// @vitest-environment node
import { describe, expect, it } from "vitest";
import { describeAgent, groupSecret } from "./SecurityPage.js";

describe("account security helpers", () => {
  it("groups the TOTP secret by 4", () => {
    expect(groupSecret("JBSWY3DPEHPK3PXP")).toBe("JBSW Y3DP EHPK 3PXP");
    expect(groupSecret("ABCDEF")).toBe("ABCD EF");
  });
  it("names devices from user agents", () => {
    expect(describeAgent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0 Safari/537.36")).toBe("Chrome on Linux");
    expect(describeAgent(null)).toBe("Unknown device");
  });
});
