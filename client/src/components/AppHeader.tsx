import type { PublicUser } from "@glp1/shared";
import { ROLE_LABELS } from "../format.js";

interface Props {
  user: PublicUser;
  onSignOut: () => void;
  /** Open or leave the account security page (absent while MFA setup is required). */
  onSecurity?: () => void;
  securityOpen?: boolean;
}

export function AppHeader({ user, onSignOut, onSecurity, securityOpen = false }: Props) {
  return (
    <header className="app-header">
      <p className="brand">
        <span className="brand-mark" aria-hidden="true">
          +
        </span>{" "}
        <span className="brand-name">GLP-1 Care</span>
      </p>
      <div className="app-user">
        <p className="app-user-text" data-testid="current-user">
          <span className="app-user-name">{user.name}</span>
          <span className="app-user-role">{ROLE_LABELS[user.role]}</span>
        </p>
        {onSecurity && (
          <button type="button" className="button-quiet header-security" data-testid="nav-security" aria-pressed={securityOpen} onClick={onSecurity}>
            Security
          </button>
        )}
        <button type="button" className="button-secondary" data-testid="signout" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
