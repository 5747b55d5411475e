import type { PublicUser } from "@glp1/shared";

interface Props {
  user: PublicUser;
  onSignOut: () => void;
}

const COMING: Record<"support" | "admin", { title: string; items: string[] }> = {
  support: {
    title: "Triage queue",
    items: [
      "See incoming patient conversations as they arrive, oldest waiting first",
      "Set a priority and a category for each",
      "Route a conversation to the right physician, seeing only the minimum health information needed",
    ],
  },
  admin: {
    title: "Clinic administration",
    items: [
      "Create accounts and manage care teams",
      "Read and filter the audit trail of every access to patient information",
      "Verify the audit log's integrity",
    ],
  },
};

export function StaffView({ user, onSignOut }: Props) {
  const role = user.role === "admin" ? "admin" : "support";
  const coming = COMING[role];
  return (
    <main className="placeholder-page" id="main">
      <div className="placeholder-card">
        <h1>Welcome, {user.name}</h1>
        <p>
          The <strong>{coming.title.toLowerCase()}</strong> is on its way. Here is what this page will offer:
        </p>
        <ul>
          {coming.items.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
        <p className="muted">Until then there is nothing to do here.</p>
        <button type="button" className="button-secondary" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </main>
  );
}
