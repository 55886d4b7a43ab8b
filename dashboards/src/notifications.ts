import { ContactPointBuilder, NotificationPolicyBuilder, NotificationTemplateBuilder, type ContactPoint, type NotificationPolicy, type NotificationTemplate } from '@grafana/grafana-foundation-sdk/alerting';
import { TEAM_LABEL } from './alert-rules.js';

/**
 * Where the alerts go: an email to the compliance officers for every rule, and a webhook (chat or
 * paging bridge) as well for critical ones. Addresses come from the environment Grafana runs in; the
 * notification templates carry the figure, the level and a link to the dashboard that explains it.
 */

/** Environment variables Grafana's provisioning reads (docker-compose passes them; .env.example lists them). */
export const ALERT_ENV = { emailTo: 'ALERT_EMAIL_TO', webhookUrl: 'ALERT_WEBHOOK_URL' } as const;

export const EMAIL = 'ine-audit-email';
export const WEBHOOK = 'ine-audit-webhook';
export const TEMPLATE_GROUP = 'ine-audit';

/**
 * Notification templates are Go text/template run by Grafana's Alertmanager over its template data
 * (.Status, .Alerts with .Values, .Annotations, .DashboardURL, .PanelURL, ...). No `$` anywhere: the
 * provisioning reader would take it for an environment variable.
 */
export const templateText = `{{ define "ine-audit.subject" }}[{{ .Status }}] {{ .CommonLabels.alertname }} ({{ len .Alerts.Firing }} firing){{ end }}

{{ define "ine-audit.alert" }}{{ .Labels.alertname }}: {{ .Annotations.summary }}
Figure: {{ printf "%.4g" (index .Values "A") }} (alert level: {{ .Annotations.threshold }})
Dashboard: {{ if .PanelURL }}{{ .PanelURL }}{{ else }}{{ .DashboardURL }}{{ end }}
{{ .Annotations.description }}
{{ end }}

{{ define "ine-audit.message" }}{{ if .Alerts.Firing }}Firing:
{{ range .Alerts.Firing }}{{ template "ine-audit.alert" . }}
{{ end }}{{ end }}{{ if .Alerts.Resolved }}Resolved:
{{ range .Alerts.Resolved }}{{ template "ine-audit.alert" . }}
{{ end }}{{ end }}{{ end }}
`;

const subject = '{{ template "ine-audit.subject" . }}';
const message = '{{ template "ine-audit.message" . }}';

export const contactPoints = (): ContactPoint[] => [
  new ContactPointBuilder()
    .uid(EMAIL)
    .name(EMAIL)
    .type('email')
    .settings({ addresses: `\${${ALERT_ENV.emailTo}}`, singleEmail: true, subject, message })
    .disableResolveMessage(false)
    .build(),
  new ContactPointBuilder()
    .uid(WEBHOOK)
    .name(WEBHOOK)
    .type('webhook')
    .settings({ url: `\${${ALERT_ENV.webhookUrl}}`, httpMethod: 'POST', title: subject, message })
    .disableResolveMessage(false)
    .build(),
];

/** The rule groups of alert-rules.ts, by the `rule_group` label each rule carries. */
export const notificationPolicy = (): NotificationPolicy =>
  new NotificationPolicyBuilder()
    .receiver(EMAIL)
    .groupBy(['grafana_folder', 'alertname'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .routes([
      new NotificationPolicyBuilder()
        .receiver(WEBHOOK)
        .objectMatchers([['team', '=', TEAM_LABEL.team], ['severity', '=', 'critical']])
        .continueVal(true),
      new NotificationPolicyBuilder()
        .receiver(EMAIL)
        .objectMatchers([['team', '=', TEAM_LABEL.team], ['rule_group', '=~', 'ine-audit-(consent|face-match|provider|pipeline)']])
        .repeatInterval('4h'),
    ])
    .build();

export const notificationTemplates = (): NotificationTemplate[] => [new NotificationTemplateBuilder().name(TEMPLATE_GROUP).template(templateText).build()];
