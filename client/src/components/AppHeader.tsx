import type { PublicUser } from "@glp1/shared";
import { ROLE_LABELS } from "../format.js";

interface Props {
  user: PublicUser;
  onSignOut: () => void;
}

export function AppHeader({ user, onSignOut }: Props) {
  return (
    <header className="app-header">
      <p className="brand">
        <span className="brand-mark" aria-hidden="true">
          +
        </span>{" "}
        GLP-1 Care
      </p>
      <div className="app-user">
        <p className="app-user-text" data-testid="current-user">
          <span className="app-user-name">{user.name}</span>
          <span className="app-user-role">{ROLE_LABELS[user.role]}</span>
        </p>
        <button type="button" className="button-secondary" data-testid="signout" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
