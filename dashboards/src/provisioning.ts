import type { ContactPoint, NotificationPolicy, NotificationTemplate } from '@grafana/grafana-foundation-sdk/alerting';
import { ALERT_FOLDER, type AlertRule } from './alert-rules.js';

/**
 * The SDK builds Grafana's HTTP API models; file provisioning reads a slightly different shape
 * (rules grouped under a folder title, dashboardUid/panelId fields, receivers under a contact point
 * name). These map one to the other.
 */

const ORG_ID = 1;
const EVALUATION_INTERVAL = '1m';

export function ruleGroupsFile(rules: AlertRule[]) {
  const groups = [...new Set(rules.map((r) => r.group))];
  return {
    apiVersion: 1,
    groups: groups.map((name) => ({
      orgId: ORG_ID,
      name,
      folder: ALERT_FOLDER,
      interval: EVALUATION_INTERVAL,
      rules: rules
        .filter((r) => r.group === name)
        .map(({ rule, dashboardUid, panelId }) => ({
          uid: rule.uid,
          title: rule.title,
          condition: rule.condition,
          data: rule.data,
          dashboardUid,
          panelId,
          noDataState: rule.noDataState,
          execErrState: rule.execErrState,
          for: rule.for,
          annotations: rule.annotations,
          labels: rule.labels,
          isPaused: rule.isPaused,
        })),
    })),
  };
}

export function notificationsFile(points: ContactPoint[], policy: NotificationPolicy, templates: NotificationTemplate[]) {
  return {
    apiVersion: 1,
    contactPoints: points.map(({ name, uid, type, settings, disableResolveMessage }) => ({
      orgId: ORG_ID,
      name,
      receivers: [{ uid, type, settings, disableResolveMessage }],
    })),
    policies: [{ orgId: ORG_ID, ...policy }],
    templates: templates.map(({ name, template }) => ({ orgId: ORG_ID, name, template })),
  };
}
