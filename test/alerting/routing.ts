/**
 * Grafana's notification policy tree, routed the way its Alertmanager routes (prometheus/alertmanager
 * dispatch/route.go, Route.Match): a node matches when all its matchers do; its children are tried in
 * order, the first match stops the search unless it says `continue`; a node none of whose children
 * match takes the alert itself. Matchers (pkg/labels): `=`, `!=`, `=~`, `!~`; a missing label is the
 * empty string; regular expressions are anchored at both ends.
 */

export type ObjectMatcher = [name: string, type: '=' | '!=' | '=~' | '!~', value: string];

export interface Policy {
  receiver?: string;
  object_matchers?: ObjectMatcher[];
  continue?: boolean;
  routes?: Policy[];
  [other: string]: unknown;
}

export type Labels = Record<string, string>;

export function matches([name, type, value]: ObjectMatcher, labels: Labels): boolean {
  const actual = labels[name] ?? '';
  switch (type) {
    case '=':
      return actual === value;
    case '!=':
      return actual !== value;
    case '=~':
      return new RegExp(`^(?:${value})$`).test(actual);
    case '!~':
      return !new RegExp(`^(?:${value})$`).test(actual);
  }
}

const unsupported = ['matchers', 'match', 'match_re'] as const;

/** The receivers an alert with these labels is sent to, each with the path of the policy that sent it. */
export function route(policy: Policy, labels: Labels, inherited = policy.receiver, path = 'root'): Array<{ receiver: string; path: string }> {
  for (const key of unsupported) if (policy[key] !== undefined) throw new Error(`${path}: ${key} is not modelled here; use object_matchers`);
  if (!(policy.object_matchers ?? []).every((m) => matches(m, labels))) return [];
  const receiver = policy.receiver ?? inherited;
  const found: Array<{ receiver: string; path: string }> = [];
  for (const [i, child] of (policy.routes ?? []).entries()) {
    const hit = route(child, labels, receiver, `${path}.routes[${i}]`);
    found.push(...hit);
    if (hit.length > 0 && !child.continue) break;
  }
  if (found.length === 0) {
    if (!receiver) throw new Error(`${path}: no receiver`);
    found.push({ receiver, path });
  }
  return found;
}
