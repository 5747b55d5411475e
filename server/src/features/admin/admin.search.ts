import { emailSchema, objectIdSchema, type UserSearchInput, type UserSearchMatch, type UserSearchResult } from "@glp1/shared";
import type { UserModel } from "../../auth/user.model.js";
import { AppError } from "../../http/errors.js";

/**
 * A name folded for comparison: compatibility-decomposed, accents dropped, lower case,
 * spaces collapsed ("  José  O'Neil" → "jose o'neil").
 */
export function foldName(s: string): string {
  return s.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

/** The words of a name, as a search sees them (hyphens, apostrophes and dots split words too). */
export function nameWords(s: string): string[] {
  return foldName(s)
    .split(/[\s\-'’.,]+/)
    .filter(Boolean);
}

/** Every search term starts some word of the name ("jo sm" finds "John Smith", "Smith, Joanna"). */
export function matchesWordPrefixes(name: string, terms: readonly string[]): boolean {
  const words = nameWords(name);
  return terms.length > 0 && terms.every((t) => words.some((w) => w.startsWith(t)));
}

/** What a query means: an account id, an email (exact), or name words. Throws when it looks like an email but is not one. */
export function classifyQuery(q: string): { match: "id"; id: string } | { match: "email"; email: string } | { match: "name"; terms: string[] } {
  const trimmed = q.trim();
  if (objectIdSchema.safeParse(trimmed.toLowerCase()).success) return { match: "id", id: trimmed.toLowerCase() };
  if (trimmed.includes("@")) {
    const email = emailSchema.safeParse(trimmed);
    if (!email.success) throw new AppError("VALIDATION_FAILED", "invalid input (q: not a complete email address)", ["q"]);
    return { match: "email", email: email.data };
  }
  const terms = nameWords(trimmed);
  if (terms.length === 0) throw new AppError("VALIDATION_FAILED", "invalid input (q: type part of a name)", ["q"]);
  return { match: "name", terms };
}

/**
 * Account search for admins. Names and emails are sealed at rest, so the database cannot
 * match them: an email goes through its blind index (equality only), and names are opened
 * here and matched in memory. That reads every account of the role once per search —
 * fine at a clinic's scale (thousands), and no name ever reaches the database in clear.
 * Only the matches' emails are opened.
 */
export function createUserSearch(deps: { users: UserModel }) {
  const { users } = deps;

  async function search(input: UserSearchInput, lookup: { emailIndex(email: string): string }): Promise<{ users: UserSearchResult[]; match: UserSearchMatch; truncated: boolean }> {
    const kind = classifyQuery(input.q);
    const roleFilter = input.role ? { role: input.role } : {};
    let ids: string[];
    let truncated = false;
    if (kind.match === "id") {
      ids = (await users.find({ _id: kind.id, ...roleFilter }, { _id: 1 }).lean()).map((u) => String(u._id));
    } else if (kind.match === "email") {
      ids = (await users.find({ emailIndex: lookup.emailIndex(kind.email), ...roleFilter }, { _id: 1 }).lean()).map((u) => String(u._id));
    } else {
      const all = await users.find(roleFilter, { name: 1 });
      const hits = all
        .filter((u) => matchesWordPrefixes(u.name, kind.terms))
        .sort((a, b) => a.name.localeCompare(b.name) || String(a._id).localeCompare(String(b._id)));
      truncated = hits.length > input.limit;
      ids = hits.slice(0, input.limit).map((u) => String(u._id));
    }
    if (ids.length === 0) return { users: [], match: kind.match, truncated };
    const docs = await users.find({ _id: { $in: ids } }, { name: 1, email: 1, role: 1, active: 1, mfaEnabled: 1 });
    const byId = new Map(docs.map((d) => [String(d._id), d]));
    const found = ids.flatMap((id) => {
      const u = byId.get(id);
      return u ? [{ id, name: u.name, email: u.email, role: u.role, status: u.active ? ("active" as const) : ("disabled" as const), mfaEnrolled: u.mfaEnabled }] : [];
    });
    return { users: found, match: kind.match, truncated };
  }

  return { search };
}

export type UserSearch = ReturnType<typeof createUserSearch>;
