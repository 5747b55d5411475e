import { useState, useSyncExternalStore } from "react";
import { AppHeader } from "./components/AppHeader.js";
import { IdleWarning } from "./components/IdleWarning.js";
import { lazyScreen } from "./components/LazyScreen.js";
import type { SessionController } from "./session.js";
import { LoginPage } from "./views/LoginPage.js";
import { PatientView } from "./views/PatientView.js";
import { PhysicianView } from "./views/PhysicianView.js";

const loading = (
  <main className="page-message" id="main" aria-busy="true">
    <p className="muted">Loading…</p>
  </main>
);

// Staff screens load on first use: patients never download them. A chunk that fails to
// download (offline) shows a message with Retry in place of the screen, not a blank page.
const TriageView = lazyScreen(() => import("./triage/TriageView.js").then((m) => m.TriageView), { fallback: loading, name: "TriageView" });
const AdminView = lazyScreen(() => import("./admin/AdminView.js").then((m) => m.AdminView), { fallback: loading, name: "AdminView" });
const BreakGlassToasts = lazyScreen(() => import("./admin/BreakGlassToasts.js").then((m) => m.BreakGlassToasts), {
  fallback: null,
  quiet: true,
  name: "BreakGlassToasts",
});
const SecurityPage = lazyScreen(() => import("./security/SecurityPage.js").then((m) => m.SecurityPage), { fallback: loading, name: "SecurityPage" });

export function App({ session }: { session: SessionController }) {
  const state = useSyncExternalStore(session.subscribe, session.getSnapshot);
  const [security, setSecurity] = useState(false);

  if (state.kind === "loading") {
    return (
      <main className="page-message" id="main" aria-busy="true">
        <p className="muted">{state.message}</p>
      </main>
    );
  }

  if (state.kind === "signedOut") {
    return (
      <LoginPage
        notice={state.notice}
        onSignedIn={(user, info, mfa) => {
          setSecurity(false);
          session.signedIn(user, info, mfa);
        }}
      />
    );
  }

  const { user, store, idle, keepalive, mfa, mfaRequired } = state;
  const signOut = () => void session.signOut("user");
  const showSecurity = mfaRequired || security;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader user={user} onSignOut={signOut} onSecurity={mfaRequired ? undefined : () => setSecurity((s) => !s)} securityOpen={security} />
      {showSecurity ? (
        <SecurityPage
          key={`${user.id}-security`}
          user={user}
          mfa={mfa}
          required={mfaRequired}
          onMfaEnabled={(status) => {
            session.mfaEnabled(status);
            if (mfaRequired) setSecurity(false);
          }}
          onSignedOut={signOut}
          onBack={() => setSecurity(false)}
        />
      ) : null}
      {/* The role's home stays mounted under the security page (live feeds and state survive). */}
      {!mfaRequired && (
        <div className="home-host" hidden={showSecurity}>
          {user.role === "patient" ? (
            <PatientView key={`${user.id}-${storeKey(store)}`} user={user} store={store} />
          ) : user.role === "physician" ? (
            <PhysicianView key={`${user.id}-${storeKey(store)}`} user={user} store={store} />
          ) : user.role === "support" ? (
            <TriageView key={storeKey(store)} user={user} store={store} />
          ) : (
            <AdminView key={storeKey(store)} user={user} store={store} />
          )}
        </div>
      )}
      {user.role === "admin" && !mfaRequired && <BreakGlassToasts key={storeKey(store)} store={store} />}
      {idle.phase === "warning" && (
        <IdleWarning
          msLeft={idle.msLeft}
          busy={keepalive.busy}
          error={keepalive.error}
          onStay={() => void session.stay()}
          onSignOut={signOut}
        />
      )}
    </div>
  );
}

/** A new store (after MFA set-up) remounts the views that subscribed to the old one. */
const storeIds = new WeakMap<object, number>();
let nextStoreId = 1;
function storeKey(store: object): number {
  let id = storeIds.get(store);
  if (id === undefined) {
    id = nextStoreId++;
    storeIds.set(store, id);
  }
  return id;
}
