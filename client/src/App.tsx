import { useSyncExternalStore } from "react";
import { AppHeader } from "./components/AppHeader.js";
import { IdleWarning } from "./components/IdleWarning.js";
import type { SessionController } from "./session.js";
import { LoginPage } from "./views/LoginPage.js";
import { PatientView } from "./views/PatientView.js";
import { PhysicianView } from "./views/PhysicianView.js";
import { StaffView } from "./views/StaffView.js";

export function App({ session }: { session: SessionController }) {
  const state = useSyncExternalStore(session.subscribe, session.getSnapshot);

  if (state.kind === "loading") {
    return (
      <main className="page-message" id="main" aria-busy="true">
        <p className="muted">{state.message}</p>
      </main>
    );
  }

  if (state.kind === "signedOut") {
    return <LoginPage notice={state.notice} onSignedIn={(user, info) => session.signedIn(user, info)} />;
  }

  const { user, store, idle, keepalive } = state;
  const signOut = () => void session.signOut("user");
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader user={user} onSignOut={signOut} />
      {user.role === "patient" ? (
        <PatientView key={user.id} user={user} store={store} />
      ) : user.role === "physician" ? (
        <PhysicianView key={user.id} user={user} store={store} />
      ) : (
        <StaffView user={user} onSignOut={signOut} />
      )}
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
