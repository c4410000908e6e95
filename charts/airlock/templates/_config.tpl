{{/*
Configuration and secrets shared by every Airlock container: the Deployments read the ConfigMap
(envFrom), the migration Job gets the same keys inline (it runs before the ConfigMap exists,
see migration/migration-job.yaml), and all of them read secrets through the same env entries.
*/}}

{{- define "airlock.httpPort" -}}8080{{- end -}}
{{- define "airlock.internalPort" -}}9090{{- end -}}
{{- define "airlock.caMountPath" -}}/etc/airlock/ca{{- end -}}

{{/* Non-secret settings, as a YAML map of strings (the ConfigMap's data). */}}
{{- define "airlock.configData" -}}
NODE_ENV: production
PORT: {{ include "airlock.httpPort" . | quote }}
AIRLOCK_INTERNAL_PORT: {{ include "airlock.internalPort" . | quote }}
AIRLOCK_PUBLIC_URL: {{ include "airlock.publicUrl" . | quote }}
AIRLOCK_CORS_ORIGINS: {{ join "," .Values.global.corsOrigins | quote }}
AIRLOCK_TRUSTED_PROXIES: {{ join "," .Values.global.trustedProxies | quote }}
AIRLOCK_AIRGAPPED: {{ .Values.airgapped.enabled | toString | quote }}
AIRLOCK_ALLOWED_UPSTREAM_HOSTS: {{ join "," .Values.airgapped.allowedUpstreamHosts | quote }}
LOG_LEVEL: {{ .Values.global.logLevel | quote }}
AIRLOCK_DB_WAIT_SECONDS: {{ .Values.migration.dbWaitSeconds | toString | quote }}
AIRLOCK_SHUTDOWN_DELAY_SECONDS: {{ .Values.global.shutdownDelaySeconds | toString | quote }}
{{- with .Values.global.extraCaCerts }}
{{- if or .secretName .configMapName }}
NODE_EXTRA_CA_CERTS: {{ printf "%s/%s" (include "airlock.caMountPath" $) .key | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "airlock.configChecksum" -}}
{{- include "airlock.configData" . | sha256sum -}}
{{- end -}}

{{- define "airlock.hostPort" -}}
{{- if contains ":" .host -}}[{{ .host }}]:{{ .port }}{{- else -}}{{ .host }}:{{ .port }}{{- end -}}
{{- end -}}

{{/*
Secret-backed env entries (a YAML list): the three application secrets, then DATABASE_URL and
REDIS_URL from wherever the values say they live. A URL built from host fields takes the
password from its Secret through Kubernetes' $(VAR) expansion, so it never appears in a spec.
*/}}
{{- define "airlock.secretEnv" -}}
{{- $app := include "airlock.appSecretName" . -}}
{{- $chart := include "airlock.chartSecretName" . -}}
{{- range $key := list "AIRLOCK_ENCRYPTION_KEY" "AIRLOCK_BOOTSTRAP_TOKEN" }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ $app }}
      key: {{ $key }}
{{- end }}
{{- $db := .Values.database }}
{{- if or .Values.evaluation.enabled $db.url }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $chart }}
      key: DATABASE_URL
{{- else if $db.existingSecret.name }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $db.existingSecret.name }}
      key: {{ $db.existingSecret.key }}
{{- else if $db.host }}
{{- if $db.passwordSecret.name }}
- name: AIRLOCK_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $db.passwordSecret.name }}
      key: {{ $db.passwordSecret.key }}
{{- end }}
- name: DATABASE_URL
  value: {{ printf "postgresql://%s%s@%s/%s?sslmode=%s" ($db.user | urlquery) (ternary ":$(AIRLOCK_DATABASE_PASSWORD)" "" (not (empty $db.passwordSecret.name))) (include "airlock.hostPort" (dict "host" $db.host "port" $db.port)) ($db.name | urlquery) $db.sslMode | quote }}
{{- end }}
{{- $r := .Values.redis }}
{{- if or .Values.evaluation.enabled $r.url }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $chart }}
      key: REDIS_URL
{{- else if $r.existingSecret.name }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $r.existingSecret.name }}
      key: {{ $r.existingSecret.key }}
{{- else if $r.host }}
{{- if $r.passwordSecret.name }}
- name: AIRLOCK_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $r.passwordSecret.name }}
      key: {{ $r.passwordSecret.key }}
{{- end }}
{{- $auth := "" }}
{{- if $r.passwordSecret.name }}
{{- $auth = printf "%s:$(AIRLOCK_REDIS_PASSWORD)@" ($r.username | urlquery) }}
{{- else if $r.username }}
{{- $auth = printf "%s@" ($r.username | urlquery) }}
{{- end }}
- name: REDIS_URL
  value: {{ printf "%s://%s%s/%v" (ternary "rediss" "redis" $r.tls) $auth (include "airlock.hostPort" (dict "host" $r.host "port" $r.port)) $r.db | quote }}
{{- end }}
{{- end -}}

{{/*
One value of the chart's Secret, base64-encoded. Order: the value given in values; else the
value already in the cluster (lookup), so generated secrets survive upgrades; else a new one.
On upgrade a missing critical value (the encryption key, the evaluation passwords) is never
regenerated: a new encryption key would make every stored secret unreadable, a new password
would no longer match the evaluation database.
*/}}
{{- define "airlock.secretValue" -}}
{{- if .value -}}
{{- .value | b64enc -}}
{{- else if hasKey .old .key -}}
{{- index .old .key -}}
{{- else if and .critical .ctx.Release.IsUpgrade -}}
{{- fail (printf "the Secret %s/%s has no %s. Refusing to generate a new one on upgrade: data written with the old value would be lost. Restore the Secret (the last release's copy is in `helm get hooks %s`), set it in values, or use secrets.existingSecret. With --dry-run, use --dry-run=server so the chart can read the Secret." .ctx.Release.Namespace .name .key .ctx.Release.Name) -}}
{{- else if eq .generate "key32" -}}
{{- randBytes 32 | b64enc -}}
{{- else -}}
{{- randAlphaNum 48 | b64enc -}}
{{- end -}}
{{- end -}}

{{/* The chart Secret's data (a YAML map of base64 strings). */}}
{{- define "airlock.chartSecretData" -}}
{{- $name := include "airlock.chartSecretName" . -}}
{{- $found := lookup "v1" "Secret" .Release.Namespace $name | default dict -}}
{{- $old := get $found "data" | default dict -}}
{{- $common := dict "ctx" . "old" $old "name" $name -}}
{{- if not .Values.secrets.existingSecret }}
AIRLOCK_ENCRYPTION_KEY: {{ include "airlock.secretValue" (merge (dict "key" "AIRLOCK_ENCRYPTION_KEY" "value" .Values.secrets.encryptionKey "generate" "key32" "critical" true) $common) }}
AIRLOCK_BOOTSTRAP_TOKEN: {{ include "airlock.secretValue" (merge (dict "key" "AIRLOCK_BOOTSTRAP_TOKEN" "value" .Values.secrets.bootstrapToken "generate" "token" "critical" false) $common) }}
{{- end }}
{{- if .Values.evaluation.enabled }}
{{- $pg := include "airlock.secretValue" (merge (dict "key" "POSTGRES_PASSWORD" "value" "" "generate" "token" "critical" true) $common) }}
{{- $rd := include "airlock.secretValue" (merge (dict "key" "REDIS_PASSWORD" "value" "" "generate" "token" "critical" true) $common) }}
POSTGRES_PASSWORD: {{ $pg }}
REDIS_PASSWORD: {{ $rd }}
DATABASE_URL: {{ printf "postgresql://airlock:%s@%s:5432/airlock?sslmode=disable" (b64dec $pg) (include "airlock.evalPostgresName" .) | b64enc }}
REDIS_URL: {{ printf "redis://:%s@%s:6379/0" (b64dec $rd) (include "airlock.evalRedisName" .) | b64enc }}
{{- else }}
{{- with .Values.database.url }}
DATABASE_URL: {{ . | b64enc }}
{{- end }}
{{- with .Values.redis.url }}
REDIS_URL: {{ . | b64enc }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
What can change the chart Secret's data: only values given explicitly. A generated value is
generated once and then read back unchanged (airlock.secretValue), so it never needs a restart;
hashing the rendered data instead would hash fresh random values on install and the stored
ones on the first upgrade, and roll every pod for nothing.
*/}}
{{- define "airlock.secretChecksum" -}}
{{- $inputs := dict "secrets" .Values.secrets "databaseUrl" .Values.database.url "redisUrl" .Values.redis.url "evaluation" .Values.evaluation.enabled -}}
{{- toJson $inputs | sha256sum -}}
{{- end -}}

{{/* Env entries for every Airlock container of a Deployment (after envFrom the ConfigMap). */}}
{{- define "airlock.componentEnv" -}}
{{- $v := index .ctx.Values (include "airlock.valuesKey" .component) -}}
{{- include "airlock.secretEnv" .ctx }}
{{- with $v.logLevel }}
- name: LOG_LEVEL
  value: {{ . | quote }}
{{- end }}
{{- with .ctx.Values.global.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes every Airlock pod has: a writable /tmp and the optional CA bundle. */}}
{{- define "airlock.baseVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.global.tmpSizeLimit }}
{{- with .Values.global.extraCaCerts }}
{{- if .secretName }}
- name: extra-ca
  secret:
    secretName: {{ .secretName }}
{{- else if .configMapName }}
- name: extra-ca
  configMap:
    name: {{ .configMapName }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "airlock.baseVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if or .Values.global.extraCaCerts.secretName .Values.global.extraCaCerts.configMapName }}
- name: extra-ca
  mountPath: {{ include "airlock.caMountPath" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{/*
Pod-level fields every pod of the chart shares: no API token, and no service-link variables
(a Service named e.g. "airlock-internal" would otherwise inject AIRLOCK_INTERNAL_PORT).
Each pod sets its own securityContext next to this.
*/}}
{{- define "airlock.podDefaults" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}
