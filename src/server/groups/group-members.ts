/** What a hub knows of one member of a group: a caller that pulled the group through it. */
export interface MemberInfo {
  /** The caller's principal id (API key name, JWT `sub`, `anonymous`). */
  readonly id: string;
  /** The last pull (RFC 3339). */
  readonly lastPullAt: string;
  /** Pulls made through this hub since it started (or since the member was last forgotten). */
  readonly pulls: number;
  /** Deliveries handed to it by those pulls. */
  readonly delivered: number;
}

interface Entry {
  lastPullAt: number;
  pulls: number;
  delivered: number;
}

/** Members remembered per group; past it the one that pulled longest ago is forgotten. */
export const MAX_MEMBERS_PER_GROUP = 1_000;
/** Groups remembered; past it the group pulled longest ago is forgotten. */
export const MAX_MEMBER_GROUPS = 1_000;

/**
 * The members of each consumer group that pulled through this hub: who, when last, how often,
 * how many deliveries. Bounded (`MAX_MEMBER_GROUPS` groups of `MAX_MEMBERS_PER_GROUP` members;
 * the least recently pulling is forgotten first) and kept in memory: it starts empty at a restart,
 * and each hub knows only its own callers.
 *
 * @example
 * ```ts
 * const members = new GroupMembers();
 * members.pulled('mailer', 'worker-1', 3);
 * members.list('mailer'); // [{ id: 'worker-1', lastPullAt: '…', pulls: 1, delivered: 3 }]
 * ```
 */
export class GroupMembers {
  // Maps keep insertion order; an entry is moved to the end on every pull, so the first is the stalest.
  readonly #groups = new Map<string, Map<string, Entry>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Notes a pull by `member` that handed out `delivered` deliveries. */
  pulled(group: string, member: string, delivered: number): void {
    let members = this.#groups.get(group);
    if (members === undefined) {
      if (this.#groups.size >= MAX_MEMBER_GROUPS) this.#groups.delete(this.#groups.keys().next().value!);
      members = new Map();
    } else {
      this.#groups.delete(group);
    }
    this.#groups.set(group, members);
    const entry = members.get(member) ?? { lastPullAt: 0, pulls: 0, delivered: 0 };
    members.delete(member);
    if (members.size >= MAX_MEMBERS_PER_GROUP) members.delete(members.keys().next().value!);
    entry.lastPullAt = this.#now();
    entry.pulls++;
    entry.delivered += delivered;
    members.set(member, entry);
  }

  /** The group's members, the most recent pull first. */
  list(group: string): MemberInfo[] {
    const members = this.#groups.get(group);
    if (members === undefined) return [];
    return [...members].reverse().map(([id, e]) => ({
      id,
      lastPullAt: new Date(e.lastPullAt).toISOString(),
      pulls: e.pulls,
      delivered: e.delivered,
    }));
  }

  /** Forgets everything (the hub is closing). */
  clear(): void {
    this.#groups.clear();
  }
}
