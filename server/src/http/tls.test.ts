import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../test/harness.js";

let app: TestApp;
let cert: string;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "glp1-tls-"));
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  cert = execFileSync("cat", [certFile]).toString();
  app = await startTestApp({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
});
afterAll(() => app?.close());

function handshake(opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: app.port, ca: cert, servername: "localhost", ...opts }, () => {
      const v = socket.getProtocol() ?? "";
      socket.end();
      resolve(v);
    });
    socket.on("error", reject);
  });
}

describe("TLS termination", () => {
  it("negotiates TLS 1.3 when the client offers it", async () => {
    expect(app.url.startsWith("https://")).toBe(true);
    expect(await handshake({})).toBe("TLSv1.3");
  });

  it("accepts TLS 1.2 and refuses anything older", async () => {
    expect(await handshake({ maxVersion: "TLSv1.2" })).toBe("TLSv1.2");
    await expect(handshake({ minVersion: "TLSv1", maxVersion: "TLSv1.1" })).rejects.toThrow();
  });

  it("serves the API over TLS with Secure cookies and HSTS", async () => {
    const res = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port: app.port, ca: cert, servername: "localhost" }, () => {
        socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      });
      let raw = "";
      socket.on("data", (d) => (raw += d.toString()));
      socket.on("end", () => resolve({ status: Number(raw.split(" ")[1]), hsts: /strict-transport-security: ([^\r]+)/i.exec(raw)?.[1] }));
      socket.on("error", reject);
    });
    expect(res.status).toBe(200);
    expect(res.hsts).toMatch(/max-age=31536000/);
    expect(app.config.secureCookies).toBe(true);
  });
});
