// @vitest-environment node
import type { PublicUser } from "@glp1/shared";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/** Just enough of a Socket.IO client socket: the test plays the network. */
class FakeSocket {
  connected = false;
  active = false;
  connects = 0;
  disconnects = 0;
  private readonly handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  on(event: string, fn: (...args: unknown[]) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return this;
  }
  fire(event: string, ...args: unknown[]) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  removeAllListeners() {
    this.handlers.clear();
  }
  connect() {
    this.connects += 1;
    this.active = true;
    return this;
  }
  disconnect() {
    this.disconnects += 1;
    const was = this.connected;
    this.connected = false;
    this.active = false;
    if (was) this.fire("disconnect", "io client disconnect");
    return this;
  }
  timeout() {
    return { emit: (_event: string, _payload: unknown, ack: (err: unknown, res: unknown) => void) => ack(null, { ok: true, data: {} }) };
  }
  /** The handshake went through. */
  serverAccepts() {
    this.connected = true;
    this.fire("connect");
  }
}

const sockets: FakeSocket[] = [];
vi.mock("socket.io-client", () => ({
  io: () => {
    const s = new FakeSocket();
    sockets.push(s);
    return s;
  },
}));

const { ChatStore } = await import("./store.js");

const me = { id: "u1", role: "patient", name: "Linda Patel", email: "l@example.test" } as unknown as PublicUser;
const hooks = { activity: () => undefined, signedOut: () => undefined };
let win: EventTarget;
let nav: { onLine: boolean };

function browser(onLine: boolean) {
  nav.onLine = onLine;
  win.dispatchEvent(new Event(onLine ? "online" : "offline"));
}

beforeEach(() => {
  sockets.length = 0;
  win = new EventTarget();
  nav = { onLine: true };
  vi.stubGlobal("window", win);
  vi.stubGlobal("navigator", nav);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("ChatStore connection state and the browser's online/offline events", () => {
  it("says Offline the moment the browser goes offline (socket still open), then Reconnecting… until the socket is back", () => {
    const store = new ChatStore(me, hooks);
    store.start();
    const socket = sockets[0]!;
    socket.serverAccepts();
    expect(store.getSnapshot().connection).toBe("connected");

    // Socket.IO has not noticed (its heartbeat would take up to 45 s): the browser has.
    browser(false);
    expect(store.getSnapshot().connection).toBe("offline");
    expect(socket.disconnects).toBe(1);
    expect(socket.active).toBe(false);

    browser(true);
    expect(store.getSnapshot().connection).toBe("reconnecting");
    expect(socket.active).toBe(true);
    socket.serverAccepts();
    expect(store.getSnapshot().connection).toBe("connected");
    store.stop();
  });

  it("stays Offline while a reconnect attempt fails during the outage", () => {
    const store = new ChatStore(me, hooks);
    store.start();
    const socket = sockets[0]!;
    socket.serverAccepts();
    browser(false);
    socket.fire("connect_error", new Error("xhr poll error"));
    socket.fire("disconnect", "transport close");
    expect(store.getSnapshot().connection).toBe("offline");
    store.stop();
  });

  it("starts Offline when the browser is already offline, and is Live if the socket connects anyway", () => {
    nav.onLine = false;
    const store = new ChatStore(me, hooks);
    store.start();
    expect(store.getSnapshot().connection).toBe("offline");
    sockets[0]!.serverAccepts();
    expect(store.getSnapshot().connection).toBe("connected");
    store.stop();
  });

  it("stops listening when stopped", () => {
    const store = new ChatStore(me, hooks);
    store.start();
    sockets[0]!.serverAccepts();
    store.stop();
    browser(false);
    expect(store.getSnapshot().connection).toBe("connecting");
  });
});
