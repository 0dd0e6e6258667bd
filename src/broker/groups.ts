import type { SubjectIndex } from '../subject/subject-index.js';
import type { SubscriptionRuntime } from './subscription-runtime.js';

/** A routing plan per match result: plain subscriptions, and the members of each queue group. */
interface Plan {
  plain: SubscriptionRuntime[];
  groups: [string, SubscriptionRuntime[]][];
}

/** Queue-group state of a broker. */
export interface GroupRouter {
  /** Round-robin position per group name. */
  counters: Map<string, number>;
  /** How many grouped subscriptions exist: zero keeps the plain fast path. */
  grouped: number;
  /** Plans keyed by the index's (immutable, cached) match arrays. */
  plans: WeakMap<readonly SubscriptionRuntime[], Plan>;
}

/**
 * The subscriptions an event of `type` goes to: every plain match, and one member per queue group
 * (NATS semantics: members are grouped by name across patterns). Members are taken round-robin,
 * skipping those whose queue is full while another has space.
 */
export function routeGroups(
  router: GroupRouter,
  index: SubjectIndex<SubscriptionRuntime>,
  type: string,
): readonly SubscriptionRuntime[] {
  const matched = index.match(type);
  if (router.grouped === 0) return matched;
  let plan = router.plans.get(matched);
  if (plan === undefined) {
    plan = { plain: [], groups: [] };
    const byName = new Map<string, SubscriptionRuntime[]>();
    for (const sub of matched) {
      if (sub.group === undefined) plan.plain.push(sub);
      else {
        let members = byName.get(sub.group);
        if (!members) byName.set(sub.group, (members = []));
        members.push(sub);
      }
    }
    plan.groups = [...byName];
    router.plans.set(matched, plan);
  }
  if (plan.groups.length === 0) return plan.plain;
  const out = plan.plain.slice();
  for (const [name, members] of plan.groups) {
    const start = router.counters.get(name) ?? 0;
    router.counters.set(name, start + 1);
    let chosen = members[start % members.length]!;
    for (let i = 0; i < members.length && !chosen.hasSpace; i++) {
      const candidate = members[(start + i) % members.length]!;
      if (candidate.hasSpace) chosen = candidate;
    }
    out.push(chosen);
  }
  return out;
}
