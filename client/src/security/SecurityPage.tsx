import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { PASSWORD_MIN_LENGTH, newPasswordSchema, totpCodeSchema, type MfaEnrollment, type MfaStatus, type PublicUser, type SessionView } from "@glp1/shared";
import { ApiError, api, describeError } from "../api.js";
import { formatDateTime } from "../clinical/labels.js";
import { RecoveryCodesPanel } from "./RecoveryCodes.js";

interface Props {
  user: PublicUser;
  mfa: MfaStatus | null;
  /** The server refuses everything else until MFA is set up (staff, password-only session). */
  required: boolean;
  onMfaEnabled: (mfa: MfaStatus) => void;
  /** The current session was ended from here. */
  onSignedOut: () => void;
  onBack?: () => void;
}

/** The base32 secret in groups of 4, as authenticator apps show it. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, "").replace(/(.{4})/g, "$1 ").trim();
}

/** Account security for every signed-in user: multi-factor sign-in, sessions, password. */
export function SecurityPage({ user, mfa, required, onMfaEnabled, onSignedOut, onBack }: Props) {
  return (
    <main className="staff-page" id="main">
      <div className="staff-inner security-page">
        <header className="staff-header">
          <div>
            <h1>Account security</h1>
            <p className="muted small">{user.name}</p>
          </div>
          {onBack && !required && (
            <button type="button" className="button-secondary" data-testid="security-back" onClick={onBack}>
              Done
            </button>
          )}
        </header>
        {required && (
          <div className="notice" role="alert" data-testid="mfa-required-notice">
            <strong>Set up multi-factor sign-in to continue.</strong> Your role has access to patient information, so the clinic
            requires a second factor (an authenticator app) on top of your password. Until it is set up, nothing else can be
            opened. It takes a minute.
          </div>
        )}
        <MfaSection mfa={mfa} required={required} onEnabled={onMfaEnabled} />
        {!required && <SessionsSection onSignedOut={onSignedOut} />}
        {!required && <PasswordSection />}
      </div>
    </main>
  );
}

// ---- multi-factor ---------------------------------------------------------------------

function MfaSection({ mfa, required, onEnabled }: { mfa: MfaStatus | null; required: boolean; onEnabled: (mfa: MfaStatus) => void }) {
  const [enrollment, setEnrollment] = useState<MfaEnrollment | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [enabled, setEnabled] = useState(mfa?.enrolled === true);
  const [copied, setCopied] = useState<string | null>(null);
  const ids = { code: useId(), title: useId() };

  const begin = async () => {
    setBusy(true);
    setError(null);
    try {
      setEnrollment(await api.mfaEnroll());
      setSaved(false);
    } catch (e) {
      if (e instanceof ApiError && e.code === "CONFLICT") {
        setEnabled(true);
        setError("Multi-factor sign-in is already on for this account.");
      } else setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const parsed = totpCodeSchema.safeParse(code);
    if (!parsed.success) {
      setError("Enter the 6-digit code your authenticator app shows now.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api.mfaConfirm(parsed.data);
      setEnabled(true);
      setEnrollment(null);
      setCode("");
      onEnabled(r.mfa);
    } catch (err) {
      setError(err instanceof ApiError && err.code === "VALIDATION_FAILED" ? "That code is not correct. Check the time on your device and enter the current code." : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const copy = async (label: string, text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(label);
    } catch {
      setCopied(null);
    }
  };

  return (
    <section className="card" aria-labelledby={ids.title} data-testid="mfa-section">
      <div className="card-header">
        <h2 id={ids.title}>Multi-factor sign-in</h2>
        <span className={enabled ? "pill pill-ok" : "pill"} data-testid="mfa-status">
          {enabled ? "On" : "Off"}
        </span>
      </div>
      {enabled && !enrollment ? (
        <>
          <p className="small" data-testid="mfa-enabled">
            Signing in asks for a code from your authenticator app (or one of your recovery codes).
          </p>
          <RecoveryCodesPanel />
        </>
      ) : !enrollment ? (
        <>
          <p className="small">
            Protect your account with a code from an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, …)
            {required ? "." : " in addition to your password."}
          </p>
          <button type="button" className="button-primary" data-testid="mfa-enroll" disabled={busy} onClick={() => void begin()}>
            {busy ? "Starting…" : "Set up multi-factor sign-in"}
          </button>
        </>
      ) : (
        <ol className="mfa-steps">
          <li>
            <p className="strong">Add the account to your authenticator app</p>
            <p className="small muted">Choose “enter a setup key” (time-based) and type this key:</p>
            <p className="mfa-secret mono" data-testid="mfa-secret">
              {groupSecret(enrollment.secret)}
            </p>
            <p className="small muted">Or, if your app accepts a setup link, copy it:</p>
            <div className="copy-row">
              <input className="mono" readOnly value={enrollment.otpauthUrl} aria-label="Setup link (otpauth)" data-testid="mfa-otpauth" onFocus={(e) => e.target.select()} />
              <button type="button" className="button-secondary" onClick={() => void copy("link", enrollment.otpauthUrl)}>
                {copied === "link" ? "Copied" : "Copy"}
              </button>
            </div>
          </li>
          <li>
            <p className="strong">Save your recovery codes</p>
            <p className="small muted">
              Each works once, in place of a code, if you lose your device. They are shown only now: print them or keep them in a
              password manager.
            </p>
            <ul className="recovery-codes mono" data-testid="mfa-recovery-codes">
              {enrollment.recoveryCodes.map((c) => (
                <li key={c}>{c}</li>
              ))}
            </ul>
            <div className="copy-row">
              <button type="button" className="button-secondary" onClick={() => void copy("codes", enrollment.recoveryCodes.join("\n"))}>
                {copied === "codes" ? "Copied" : "Copy codes"}
              </button>
              <label className="choice">
                <input type="checkbox" data-testid="mfa-saved" checked={saved} onChange={(e) => setSaved(e.target.checked)} /> I have saved my recovery codes
              </label>
            </div>
          </li>
          <li>
            <form onSubmit={confirm} noValidate>
              <div className="field">
                <label htmlFor={ids.code}>Enter the 6-digit code the app shows</label>
                <input id={ids.code} data-testid="mfa-code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} value={code} onChange={(e) => setCode(e.target.value)} className="code-input" />
              </div>
              <button type="submit" className="button-primary" data-testid="mfa-confirm" disabled={busy || !saved}>
                {busy ? "Checking…" : "Turn on multi-factor sign-in"}
              </button>
              {!saved && <p className="field-hint">Save the recovery codes first.</p>}
            </form>
          </li>
        </ol>
      )}
      {error && (
        <p className="form-error" role="alert" data-testid="mfa-error">
          {error}
        </p>
      )}
    </section>
  );
}

// ---- sessions -------------------------------------------------------------------------

/** "Chrome on Linux" from a user agent; the raw string is in the title. */
export function describeAgent(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : /node|undici/i.test(ua) ? "Script" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

function SessionsSection({ onSignedOut }: { onSignedOut: () => void }) {
  const [sessions, setSessions] = useState<SessionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const { sessions: list } = await api.sessions();
      setSessions(list.slice().sort((a, b) => Number(b.current) - Number(a.current) || (b.lastActivityAt ?? "").localeCompare(a.lastActivityAt ?? "")));
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const end = async (s: SessionView) => {
    setBusy(s.id);
    setNotice(null);
    try {
      await api.endSession(s.id);
      if (s.current) {
        onSignedOut();
        return;
      }
      setNotice("Session ended.");
      await load();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };
  const endOthers = async () => {
    setBusy("others");
    setNotice(null);
    try {
      const { ended } = await api.endOtherSessions();
      setNotice(`${ended} other session${ended === 1 ? "" : "s"} ended.`);
      await load();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };

  const others = (sessions ?? []).filter((s) => !s.current).length;
  return (
    <section className="card" aria-labelledby="sessions-title" data-testid="sessions-section">
      <div className="card-header">
        <h2 id="sessions-title">Where you are signed in</h2>
        <button type="button" className="button-secondary" data-testid="sessions-end-others" disabled={busy !== null || others === 0} onClick={() => void endOthers()}>
          {busy === "others" ? "Ending…" : "End all other sessions"}
        </button>
      </div>
      {error && <p className="form-error">{error}</p>}
      {notice && (
        <p className="form-success small" role="status" data-testid="sessions-notice">
          {notice}
        </p>
      )}
      {sessions === null ? (
        !error && <p className="muted small">Loading…</p>
      ) : (
        <ul className="session-list" data-testid="session-list">
          {sessions.map((s) => (
            <li key={s.id} className="session-item" data-testid="session-item" data-current={s.current}>
              <div>
                <p className="strong" title={s.userAgent ?? undefined}>
                  {describeAgent(s.userAgent)} {s.current && <span className="pill pill-ok">This device</span>}
                </p>
                <p className="small muted">
                  {s.ip ?? "unknown address"} · signed in {s.createdAt ? formatDateTime(s.createdAt) : "—"} · last active {s.lastActivityAt ? formatDateTime(s.lastActivityAt) : "—"}
                </p>
              </div>
              <button type="button" className="button-quiet" data-testid="session-end" disabled={busy !== null} onClick={() => void end(s)}>
                {busy === s.id ? "Ending…" : s.current ? "Sign out here" : "End"}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// ---- password -------------------------------------------------------------------------

function PasswordSection() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const ids = { current: useId(), next: useId(), again: useId(), title: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setDone(null);
    if (!current) return setError("Enter your current password.");
    const parsed = newPasswordSchema.safeParse(next);
    if (!parsed.success) return setError(`The new password must be at least ${PASSWORD_MIN_LENGTH} characters (and at most 72 bytes).`);
    if (next !== again) return setError("The two new passwords do not match.");
    if (next === current) return setError("Choose a password different from the current one.");
    setBusy(true);
    setError(null);
    try {
      const { ended } = await api.changePassword({ currentPassword: current, newPassword: next });
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(`Password changed.${ended > 0 ? ` ${ended} other session${ended === 1 ? " was" : "s were"} signed out.` : ""}`);
    } catch (err) {
      setError(err instanceof ApiError && err.code === "INVALID_CREDENTIALS" ? "The current password is not correct." : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby={ids.title} data-testid="password-section">
      <h2 id={ids.title}>Change password</h2>
      <form onSubmit={submit} noValidate className="stack-form password-form">
        <div className="field">
          <label htmlFor={ids.current}>Current password</label>
          <input id={ids.current} type="password" data-testid="password-current" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.next}>New password</label>
          <input id={ids.next} type="password" data-testid="password-new" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
          <p className="field-hint">At least {PASSWORD_MIN_LENGTH} characters. Your other sessions will be signed out.</p>
        </div>
        <div className="field">
          <label htmlFor={ids.again}>New password again</label>
          <input id={ids.again} type="password" data-testid="password-again" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
        </div>
        {error && (
          <p className="form-error" role="alert" data-testid="password-error">
            {error}
          </p>
        )}
        {done && (
          <p className="form-success" role="status" data-testid="password-done">
            {done}
          </p>
        )}
        <button type="submit" className="button-primary" data-testid="password-submit" disabled={busy}>
          {busy ? "Changing…" : "Change password"}
        </button>
      </form>
    </section>
  );
}
