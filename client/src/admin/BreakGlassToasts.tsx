import { useEffect, useState } from "react";
import type { AlertView } from "@glp1/shared";
import type { ChatStore } from "../chat/store.js";
import { shortId } from "../staff/useNow.js";

const SHOW_MS = 30_000;

/** Admins: a toast for every break-glass grant (`alert:new` with kind `break_glass`), wherever they are. */
export function BreakGlassToasts({ store }: { store: ChatStore }) {
  const [toasts, setToasts] = useState<AlertView[]>([]);

  useEffect(() => {
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const off = store.onPush("alert:new", ({ alert }) => {
      if (alert.kind !== "break_glass") return;
      setToasts((cur) => [...cur.filter((t) => t.id !== alert.id), alert].slice(-4));
      const t = setTimeout(() => {
        timers.delete(t);
        setToasts((cur) => cur.filter((x) => x.id !== alert.id));
      }, SHOW_MS);
      timers.add(t);
    });
    return () => {
      off();
      for (const t of timers) clearTimeout(t);
    };
  }, [store]);

  if (toasts.length === 0) return null;
  return (
    <div className="toast-stack" role="region" aria-label="Notifications">
      {toasts.map((t) => (
        <div key={t.id} className="toast toast-emergency" role="alert" data-testid="break-glass-toast">
          <div>
            <p className="strong">Emergency access opened</p>
            <p className="small">
              {t.actorName ? <strong data-testid="break-glass-physician">{t.actorName}</strong> : <>Physician <span className="mono">{shortId(t.actorId ?? null)}</span></>} broke the glass on patient{" "}
              <span className="mono">{shortId(t.patientId)}</span>
              {t.expiresAt ? `, until ${new Date(t.expiresAt).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" })}` : ""}. Review it in the audit log
              (action patient:break_glass).
            </p>
          </div>
          <button type="button" className="button-quiet" aria-label="Dismiss" onClick={() => setToasts((cur) => cur.filter((x) => x.id !== t.id))}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
