{{/*
Names, labels, images and the small facts every template shares. Component helpers take
(dict "ctx" $ "component" "<name>"), where <name> is identity, rbac, gateway, audit or all.
*/}}

{{- define "airlock.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "airlock.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<suffix>", kept within the 63 characters a Service name allows. */}}
{{- define "airlock.suffixedName" -}}
{{- printf "%s-%s" (include "airlock.fullname" .ctx) .suffix | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "airlock.componentName" -}}
{{- include "airlock.suffixedName" (dict "ctx" .ctx "suffix" .component) -}}
{{- end -}}

{{- define "airlock.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "airlock.appVersion" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{/* Selector labels; (dict "ctx" $) for the release, add "component" for one component. */}}
{{- define "airlock.selectorLabels" -}}
app.kubernetes.io/name: {{ include "airlock.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with (get . "component") }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{- define "airlock.labels" -}}
helm.sh/chart: {{ include "airlock.chart" .ctx }}
{{ include "airlock.selectorLabels" . }}
app.kubernetes.io/version: {{ include "airlock.appVersion" .ctx | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: airlock
{{- end -}}

{{/* The values block of a component: "all" reads allInOne, the others their own name. */}}
{{- define "airlock.valuesKey" -}}
{{- if eq . "all" -}}allInOne{{- else -}}{{ . }}{{- end -}}
{{- end -}}

{{/*
The components deployed, as a JSON list: ["all"] in all-in-one mode, else the enabled services
in a fixed order. Everything that loops over services (Ingress, NetworkPolicies, ServiceMonitor,
the test Job) reads this one list.
*/}}
{{- define "airlock.components" -}}
{{- $out := list -}}
{{- if .Values.allInOne.enabled -}}
{{- $out = list "all" -}}
{{- else -}}
{{- range $c := list "identity" "rbac" "gateway" "audit" -}}
{{- if (index $.Values $c).enabled -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* "true" when the component is deployed, else empty. */}}
{{- define "airlock.componentActive" -}}
{{- if has .component (include "airlock.components" .ctx | fromJsonArray) -}}true{{- end -}}
{{- end -}}

{{/*
Who calls whom over HTTP (like mimir's module dependency map), for the NetworkPolicies: a
service accepts HTTP from the components that need it and may send only to the components it
needs. Today nobody calls anybody: the services share Postgres and Redis (the resolver and the
policy reader in services/common read identity's and rbac's tables directly) and no service
makes an HTTP request to a sibling, so every list is empty and no pod-to-pod rule is rendered.
*/}}
{{- define "airlock.needs" -}}
{{- $needs := dict "identity" (list) "rbac" (list) "gateway" (list) "audit" (list) "all" (list) -}}
{{- toJson (index $needs .) -}}
{{- end -}}

{{- define "airlock.neededBy" -}}
{{- $out := list -}}
{{- range $c := list "identity" "rbac" "gateway" "audit" -}}
{{- if has $.component (include "airlock.needs" $c | fromJsonArray) -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Image reference: (dict "image" <image values> "global" .Values.global "defaultTag" "..."). */}}
{{- define "airlock.imageRef" -}}
{{- $registry := .global.imageRegistry | default .image.registry -}}
{{- $ref := .image.repository -}}
{{- if $registry -}}
{{- $ref = printf "%s/%s" (trimSuffix "/" $registry) $ref -}}
{{- end -}}
{{- $tag := .image.tag | default .defaultTag -}}
{{- if $tag -}}
{{- $ref = printf "%s:%s" $ref $tag -}}
{{- end -}}
{{- if .image.digest -}}
{{- $ref = printf "%s@%s" $ref .image.digest -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{- define "airlock.image" -}}
{{- include "airlock.imageRef" (dict "image" .Values.image "global" .Values.global "defaultTag" .Chart.AppVersion) -}}
{{- end -}}

{{- define "airlock.publicUrl" -}}
{{- if .Values.global.publicUrl -}}
{{- .Values.global.publicUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- else if and .Values.httpRoute.enabled .Values.httpRoute.hostnames -}}
{{- printf "https://%s" (first .Values.httpRoute.hostnames) -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret holding the three application secrets. */}}
{{- define "airlock.appSecretName" -}}
{{- .Values.secrets.existingSecret | default (include "airlock.suffixedName" (dict "ctx" . "suffix" "secrets")) -}}
{{- end -}}

{{/* Name of the chart-managed Secret (generated keys, inline URLs, evaluation passwords). */}}
{{- define "airlock.chartSecretName" -}}
{{- include "airlock.suffixedName" (dict "ctx" . "suffix" "secrets") -}}
{{- end -}}

{{/*
"true" when the chart renders its own Secret: it generates the application secrets (no
existingSecret), or holds a URL given inline, or the evaluation passwords.
*/}}
{{- define "airlock.chartSecretEnabled" -}}
{{- if or (not .Values.secrets.existingSecret) .Values.evaluation.enabled .Values.database.url .Values.redis.url -}}true{{- end -}}
{{- end -}}

{{- define "airlock.evalPostgresName" -}}
{{- include "airlock.suffixedName" (dict "ctx" . "suffix" "postgres") -}}
{{- end -}}

{{- define "airlock.evalRedisName" -}}
{{- include "airlock.suffixedName" (dict "ctx" . "suffix" "redis") -}}
{{- end -}}

{{- define "airlock.serviceAccountName" -}}
{{- $v := index .ctx.Values (include "airlock.valuesKey" .component) -}}
{{- if $v.serviceAccount.create -}}
{{- $v.serviceAccount.name | default (include "airlock.componentName" .) -}}
{{- else -}}
{{- $v.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/*
The route map: the public path prefixes each service serves, the same in dev (all-in-one) and
behind the Ingress/HTTPRoute. Order is the services' order; prefixes are path-element prefixes.
The last entry is the web console: every target serves it at `/` (its static files and client
routes; the longest prefix wins, so API paths keep their own service), and identity, which runs
sign-in, is the one it is routed to.
*/}}
{{- define "airlock.routes" -}}
{{- toJson (list
  (dict "service" "identity" "prefixes" (list "/auth" "/api/v1/me" "/api/v1/tokens" "/api/v1/sso" "/scim/v2" "/oauth" "/device"))
  (dict "service" "rbac" "prefixes" (list "/api/v1/orgs" "/api/v1/members" "/api/v1/policy"))
  (dict "service" "gateway" "prefixes" (list "/v1" "/api/v1/access"))
  (dict "service" "audit" "prefixes" (list "/api/v1/audit" "/api/v1/audit-events"))
  (dict "service" "identity" "prefixes" (list "/"))
) -}}
{{- end -}}

{{/* Routes with the Service that serves them now: [{service, backend, prefixes}]. */}}
{{- define "airlock.routeBackends" -}}
{{- $out := list -}}
{{- $active := include "airlock.components" . | fromJsonArray -}}
{{- range $r := include "airlock.routes" . | fromJsonArray -}}
{{- if $.Values.allInOne.enabled -}}
{{- $out = append $out (dict "service" $r.service "backend" (include "airlock.componentName" (dict "ctx" $ "component" "all")) "prefixes" $r.prefixes) -}}
{{- else if has $r.service $active -}}
{{- $out = append $out (dict "service" $r.service "backend" (include "airlock.componentName" (dict "ctx" $ "component" $r.service)) "prefixes" $r.prefixes) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
