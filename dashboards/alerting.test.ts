import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FACE_MATCH_ALERT_MIN_CHECKS, FACE_MATCH_ALERT_RATE, REJECTION_ALERT_COUNT } from '../schemas/thresholds.js';
import { loadAlertRules, readYaml } from '../test/dashboards/panels.js';
import { matches, route, type Labels, type ObjectMatcher, type Policy } from '../test/alerting/routing.js';

const notifications = readYaml('provisioning/alerting/ine-audit-notifications.yaml');
const [policy] = notifications.policies as Policy[];
const contactPoints = notifications.contactPoints as Array<{ name: string; receivers: Array<{ type: string; settings: Record<string, unknown> }> }>;
const rules = loadAlertRules();
const repo = join(import.meta.dirname, '..');

/** The labels Grafana's Alertmanager routes on: the rule's own, its title as alertname, its folder title. */
const labelsOf = (rule: (typeof rules)[number]): Labels => ({ ...(rule as unknown as { labels: Labels }).labels, alertname: rule.title, grafana_folder: rule.folder });

describe('label matchers and routing, as Grafana Alertmanager applies them', () => {
  it.each([
    [['team', '=', 'compliance'], { team: 'compliance' }, true],
    [['team', '=', 'compliance'], {}, false],
    [['team', '!=', 'compliance'], {}, true],
    [['team', '=', ''], {}, true],
    [['rule_group', '=~', 'ine-audit-(consent|pipeline)'], { rule_group: 'ine-audit-consent' }, true],
    [['rule_group', '=~', 'ine-audit-(consent|pipeline)'], { rule_group: 'x-ine-audit-consent' }, false],
    [['rule_group', '=~', 'consent'], { rule_group: 'ine-audit-consent' }, false],
    [['rule_group', '!~', 'ine-audit-.*'], { rule_group: 'ine-audit-consent' }, false],
  ] as Array<[ObjectMatcher, Labels, boolean]>)('%j on %j: %s', (matcher, labels, expected) => {
    expect(matches(matcher, labels)).toBe(expected);
  });

  it('tries children in order, stops at the first match unless it continues, falls back to the parent', () => {
    const tree: Policy = {
      receiver: 'root',
      routes: [
        { receiver: 'a', object_matchers: [['x', '=', '1']], continue: true },
        { receiver: 'b', object_matchers: [['x', '=~', '1|2']] },
        { receiver: 'c', object_matchers: [['x', '=~', '.*']] },
      ],
    };
    expect(route(tree, { x: '1' }).map((r) => r.receiver)).toEqual(['a', 'b']);
    expect(route(tree, { x: '2' }).map((r) => r.receiver)).toEqual(['b']);
    expect(route(tree, { x: '3' }).map((r) => r.receiver)).toEqual(['c']);
    expect(route({ receiver: 'root', routes: [{ object_matchers: [['x', '=', '9']], receiver: 'z' }] }, {}).map((r) => r.path)).toEqual(['root']);
  });
});

describe('the provisioned notification policy', () => {
  const names = contactPoints.map((c) => c.name);

  it('routes every rule by its labels, below the root, to contact points that exist; critical ones also to the webhook', () => {
    const routed = Object.fromEntries(rules.map((r) => [r.uid, route(policy!, labelsOf(r))]));
    for (const [uid, hits] of Object.entries(routed)) {
      for (const hit of hits) {
        expect(names, uid).toContain(hit.receiver);
        expect(hit.path, `${uid} must be routed by a policy, not left to the default`).not.toBe('root');
      }
    }
    expect(Object.fromEntries(Object.entries(routed).map(([uid, hits]) => [uid, hits.map((h) => h.receiver)]))).toEqual({
      'ine-audit-consent-violation': ['ine-audit-webhook', 'ine-audit-email'],
      'ine-audit-face-match-rate-low': ['ine-audit-email'],
      'ine-audit-provider-failures': ['ine-audit-email'],
      'ine-audit-rejections-spiking': ['ine-audit-email'],
    });
  });

  it('has one rule group per rule, each named in the rule_group label the policy routes on', () => {
    const groups = readYaml('provisioning/alerting/ine-audit-alerts.yaml').groups as Array<{ name: string; rules: Array<{ labels: Labels }> }>;
    expect(groups.map((g) => g.name)).toEqual(['ine-audit-consent', 'ine-audit-face-match', 'ine-audit-provider', 'ine-audit-pipeline']);
    for (const g of groups) for (const r of g.rules) expect(r.labels.rule_group).toBe(g.name);
  });

  it('takes every address from an environment variable that docker-compose passes to Grafana and .env.example lists', () => {
    const compose = parse(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'));
    const example = readFileSync(join(repo, '.env.example'), 'utf8');
    const refs = contactPoints.flatMap((c) => c.receivers.flatMap((r) => Object.values(r.settings).flatMap((v) => [...String(v).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))));
    expect(refs.sort()).toEqual(['ALERT_EMAIL_TO', 'ALERT_WEBHOOK_URL']);
    for (const name of refs) {
      expect(Object.keys(compose.services.grafana.environment), name).toContain(name);
      expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
    }
    expect(contactPoints.flatMap((c) => c.receivers.map((r) => r.type)).sort()).toEqual(['email', 'webhook']);
  });
});

describe('message templates, rendered by Go text/template over Grafana template data', () => {
  const [group] = notifications.templates as Array<{ name: string; template: string }>;
  let renderer: string;

  beforeAll(() => {
    renderer = join(mkdtempSync(join(tmpdir(), 'ine-tmpl-')), 'render');
    execFileSync('go', ['build', '-o', renderer, join(repo, 'test', 'alerting', 'render-template.go')], { stdio: 'inherit' });
  }, 120_000);

  const render = (name: string, data: unknown) => execFileSync(renderer, { input: JSON.stringify({ text: group!.template, name, data }), encoding: 'utf8' });
  const rule = (uid: string) => rules.find((r) => r.uid === uid) as unknown as { title: string; labels: Labels; annotations: Labels };
  const alert = (uid: string, status: string, value: number) => ({
    status,
    labels: { ...rule(uid).labels, alertname: rule(uid).title, grafana_folder: 'INE audit' },
    annotations: rule(uid).annotations,
    values: { A: value, B: value < FACE_MATCH_ALERT_RATE ? 1 : 0 },
    dashboardURL: 'https://grafana.example/d/ine-audit-face-match',
    panelURL: 'https://grafana.example/d/ine-audit-face-match?viewPanel=2',
  });

  it('puts the figure, the level and the panel link in the message of a firing face-match alert', () => {
    const firing = alert('ine-audit-face-match-rate-low', 'firing', 0.6234);
    const data = { status: 'firing', alerts: [firing], commonLabels: firing.labels, groupLabels: {}, commonAnnotations: firing.annotations };
    expect(render('ine-audit.subject', data)).toBe('[firing] INE face-match rate low (1 firing)');
    expect(render('ine-audit.message', data)).toBe(
      [
        'Firing:',
        'INE face-match rate low: Fewer INE checks than usual find a face match.',
        `Figure: 0.6234 (alert level: below ${FACE_MATCH_ALERT_RATE}, over at least ${FACE_MATCH_ALERT_MIN_CHECKS} completed checks)`,
        'Dashboard: https://grafana.example/d/ine-audit-face-match?viewPanel=2',
        rule('ine-audit-face-match-rate-low').annotations.description,
        '',
        '',
      ].join('\n'),
    );
  });

  it('lists firing and resolved alerts apart, each with its own figure and level', () => {
    const firing = { ...alert('ine-audit-rejections-spiking', 'firing', 51), panelURL: '' };
    const resolved = alert('ine-audit-face-match-rate-low', 'resolved', 0.91);
    const text = render('ine-audit.message', { status: 'firing', alerts: [firing, resolved], commonLabels: { team: 'compliance' }, groupLabels: {}, commonAnnotations: {} });
    expect(text.indexOf('Firing:')).toBeLessThan(text.indexOf('Resolved:'));
    expect(text).toContain(`Rejected requests spiking: The ingest is refusing many requests.\nFigure: 51 (alert level: above ${REJECTION_ALERT_COUNT} refused requests)\nDashboard: https://grafana.example/d/ine-audit-face-match\n`);
    expect(text.slice(text.indexOf('Resolved:'))).toContain('Figure: 0.91 (alert level: below 0.8');
  });

  // Grafana's provisioning reader expands environment variables in templates, rule titles and labels
  // (it keeps annotations and query models raw, so `{{ $values.A.Value }}` and `$__` macros survive).
  it('carries no `$` where Grafana provisioning would read it as an environment variable', () => {
    expect(group!.template).not.toContain('$');
    for (const r of rules) expect(JSON.stringify([r.title, (r as unknown as { labels: Labels }).labels]), r.uid).not.toContain('$');
  });
});
