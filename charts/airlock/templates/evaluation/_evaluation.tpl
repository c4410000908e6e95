{{/*
Evaluation datastores. NOT FOR PRODUCTION: one replica, no backups, no TLS.
They are pre-install/pre-upgrade hooks (weight -5), because the migration Job (weight 0) must
reach a database before the release's ordinary objects exist. Hook objects are re-created on
each upgrade (the Postgres data stays on its PersistentVolumeClaim) and are left behind by
`helm uninstall`; docs/install.md shows how to remove them.
*/}}
{{- define "airlock.evalHookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: "-5"
helm.sh/hook-delete-policy: before-hook-creation
airlock.dev/not-for-production: "evaluation datastore: single replica, no backups, no TLS"
{{- end -}}

{{/* Security contexts of the upstream images, which run as uid 999. */}}
{{- define "airlock.evalPodSecurityContext" -}}
{{- toYaml (merge (dict "runAsUser" 999 "runAsGroup" 999 "fsGroup" 999) .Values.global.podSecurityContext) -}}
{{- end -}}

{{- define "airlock.evalContainerSecurityContext" -}}
{{- toYaml (merge (dict "runAsUser" 999 "runAsGroup" 999) .Values.global.containerSecurityContext) -}}
{{- end -}}

{{- define "airlock.evalService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "airlock.suffixedName" (dict "ctx" .ctx "suffix" .component) }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "airlock.labels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
  annotations:
    {{- include "airlock.evalHookAnnotations" .ctx | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "airlock.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
  ports:
    - name: {{ .component }}
      port: {{ .port }}
      targetPort: {{ .component }}
      protocol: TCP
{{- end -}}
