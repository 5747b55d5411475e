import { useId, useState, type FormEvent } from "react";
import { loginSchema, registerSchema, PASSWORD_MIN_LENGTH, type MfaStatus, type PublicUser, type SessionInfo } from "@glp1/shared";
import { ApiError, api, describeError } from "../api.js";

interface Props {
  /** Why the user is here (signed out for inactivity, session ended…). */
  notice: string | null;
  onSignedIn: (user: PublicUser, session: SessionInfo | undefined, mfa: MfaStatus | undefined) => void;
}

type Mode = "login" | "register";

const FIELD_LABELS: Record<string, string> = { email: "Email", password: "Password", name: "Name" };

/** The first problem per field, phrased for people: "Password must be at least 10 characters". */
function issuesToMessage(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const issue of issues) {
    const field = String(issue.path[0] ?? "");
    if (seen.has(field)) continue;
    seen.add(field);
    const label = FIELD_LABELS[field];
    if (field === "name") {
      lines.push("Enter your name (up to 120 characters)");
      continue;
    }
    lines.push(label ? `${label} ${issue.message.replace(/^Invalid input: /, "")}` : issue.message);
  }
  return lines.join(". ");
}

export function LoginPage({ notice, onSignedIn }: Props) {
  const [mode, setMode] = useState<Mode>("login");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [totp, setTotp] = useState("");
  const [needTotp, setNeedTotp] = useState(false);
  /** Sign in with a one-time recovery code instead of the authenticator. */
  const [useRecovery, setUseRecovery] = useState(false);
  const [recoveryCode, setRecoveryCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { email: useId(), password: useId(), name: useId(), totp: useId(), recovery: useId(), pwHint: useId() };

  const switchMode = (next: Mode) => {
    setMode(next);
    setError(null);
    setInfo(null);
    setNeedTotp(false);
    setTotp("");
    setUseRecovery(false);
    setRecoveryCode("");
  };

  const signIn = async (input: { email: string; password: string; totp?: string; recoveryCode?: string }) => {
    const parsed = loginSchema.safeParse(input);
    if (!parsed.success) {
      const fields = new Set(parsed.error.issues.map((i) => String(i.path[0] ?? "")));
      setError(
        fields.has("recoveryCode")
          ? "Enter one of your recovery codes (10 letters and digits, like abcde-23456)."
          : fields.has("totp")
            ? "Enter the 6-digit code from your authenticator app."
            : "Enter your email address and password.",
      );
      return;
    }
    try {
      const { user, session, mfa } = await api.login(parsed.data);
      onSignedIn(user, session, mfa);
    } catch (e) {
      if (e instanceof ApiError && e.code === "INVALID_CREDENTIALS") {
        // After the password was accepted once, a refusal is most likely the code.
        setError(
          needTotp
            ? useRecovery
              ? "That recovery code did not work (each code works once), or the password is wrong."
              : "That code did not work, or the password is wrong. Enter the current 6-digit code."
            : "Incorrect email or password.",
        );
        if (needTotp) {
          setTotp("");
          setRecoveryCode("");
        }
      } else if (e instanceof ApiError && e.code === "MFA_REQUIRED") {
        setNeedTotp(true);
        setError(null);
        setInfo("Enter the 6-digit code from your authenticator app.");
      } else {
        setError(describeError(e));
      }
    }
  };

  const onLogin = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setInfo(null);
    try {
      const second = !needTotp ? {} : useRecovery ? { recoveryCode: recoveryCode.trim() } : { totp: totp.trim() };
      await signIn({ email, password, ...second });
    } finally {
      setBusy(false);
    }
  };

  const onRegister = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    setInfo(null);
    const parsed = registerSchema.safeParse({ email, password, name });
    if (!parsed.success) {
      setError(issuesToMessage(parsed.error.issues));
      return;
    }
    setBusy(true);
    try {
      await api.register(parsed.data);
      try {
        const { user, session, mfa } = await api.login({ email: parsed.data.email, password: parsed.data.password });
        onSignedIn(user, session, mfa);
      } catch {
        // The server answers an email already in use like a success (no enumeration).
        switchMode("login");
        setPassword("");
        setInfo("Please sign in. If you already had an account with this email, use its password.");
      }
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">+</span> GLP-1 Care
        </p>
        <h1>{mode === "login" ? "Sign in" : "Create your patient account"}</h1>

        {notice && mode === "login" && (
          <p className="notice" role="status" data-testid="login-notice">
            {notice}
          </p>
        )}
        {info && (
          <p className="notice" role="status" data-testid="login-info">
            {info}
          </p>
        )}

        <form onSubmit={mode === "login" ? onLogin : onRegister} noValidate>
          {mode === "register" && (
            <div className="field">
              <label htmlFor={ids.name}>Full name</label>
              <input
                id={ids.name}
                data-testid="register-name"
                autoComplete="name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                maxLength={120}
                required
              />
            </div>
          )}
          <div className="field">
            <label htmlFor={ids.email}>Email</label>
            <input
              id={ids.email}
              data-testid="login-email"
              type="email"
              autoComplete={mode === "login" ? "username" : "email"}
              inputMode="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              maxLength={254}
              required
            />
          </div>
          <div className="field">
            <label htmlFor={ids.password}>Password</label>
            <input
              id={ids.password}
              data-testid="login-password"
              type="password"
              autoComplete={mode === "login" ? "current-password" : "new-password"}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-describedby={mode === "register" ? ids.pwHint : undefined}
              required
            />
            {mode === "register" && (
              <p id={ids.pwHint} className="field-hint">
                At least {PASSWORD_MIN_LENGTH} characters.
              </p>
            )}
          </div>
          {mode === "login" && needTotp && !useRecovery && (
            <div className="field">
              <label htmlFor={ids.totp}>Authenticator code</label>
              <input
                id={ids.totp}
                data-testid="login-totp"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={7}
                value={totp}
                onChange={(e) => setTotp(e.target.value)}
                autoFocus
                required
              />
              <button type="button" className="button-link small field-switch" data-testid="login-use-recovery" onClick={() => { setUseRecovery(true); setError(null); }}>
                Lost your device? Use a recovery code
              </button>
            </div>
          )}
          {mode === "login" && needTotp && useRecovery && (
            <div className="field">
              <label htmlFor={ids.recovery}>Recovery code</label>
              <input
                id={ids.recovery}
                data-testid="login-recovery"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                maxLength={40}
                value={recoveryCode}
                onChange={(e) => setRecoveryCode(e.target.value)}
                autoFocus
                required
              />
              <p className="field-hint">Each recovery code works once.</p>
              <button type="button" className="button-link small field-switch" data-testid="login-use-totp" onClick={() => { setUseRecovery(false); setError(null); }}>
                Use the authenticator code instead
              </button>
            </div>
          )}

          {error && (
            <p className="form-error" role="alert" data-testid="login-error">
              {error}
            </p>
          )}

          <button type="submit" className="button-primary button-block" data-testid="login-submit" disabled={busy}>
            {busy ? "Please wait…" : mode === "login" ? "Sign in" : "Create account"}
          </button>
        </form>

        <p className="auth-switch">
          {mode === "login" ? "New patient? " : "Already have an account? "}
          <button
            type="button"
            className="button-link"
            data-testid="auth-mode-toggle"
            onClick={() => switchMode(mode === "login" ? "register" : "login")}
          >
            {mode === "login" ? "Create an account" : "Sign in"}
          </button>
        </p>
      </div>
      <p className="auth-footnote">For medical emergencies call 911. Chat is not monitored around the clock.</p>
    </main>
  );
}
