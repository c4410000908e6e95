{{/*
NetworkPolicy rules are built as data (lists of dicts) so that one check can refuse, in
air-gapped mode, any egress rule that would reach "anywhere": a rule without destinations, or
an ipBlock with a /0 prefix. Ports are numbers, never names, so ipBlock destinations work too.
*/}}

{{/* A rule {ports, to|from}; an empty peer list leaves the key out (= any peer). */}}
{{- define "airlock.np.rule" -}}
{{- $rule := dict "ports" .ports -}}
{{- if .peers -}}
{{- $_ := set $rule .dir .peers -}}
{{- end -}}
{{- toJson $rule -}}
{{- end -}}

{{- define "airlock.np.tcp" -}}
{{- $out := list -}}
{{- range . -}}
{{- $out = append $out (dict "port" (int .) "protocol" "TCP") -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Peers selecting pods of this release by component. */}}
{{- define "airlock.np.podPeers" -}}
{{- $out := list -}}
{{- range .components -}}
{{- $labels := include "airlock.selectorLabels" (dict "ctx" $.ctx "component" .) | fromYaml -}}
{{- $out = append $out (dict "podSelector" (dict "matchLabels" $labels)) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Egress to DNS, Postgres and Redis: every Airlock process needs these. */}}
{{- define "airlock.np.baseEgress" -}}
{{- $ := . -}}
{{- $np := .Values.networkPolicy -}}
{{- $rules := list (include "airlock.np.rule" (dict "dir" "to" "peers" $np.dns.to "ports" $np.dns.ports) | fromJson) -}}
{{- if .Values.evaluation.enabled -}}
{{- $rules = append $rules (include "airlock.np.rule" (dict "dir" "to" "peers" (include "airlock.np.podPeers" (dict "ctx" $ "components" (list "postgres")) | fromJsonArray) "ports" (include "airlock.np.tcp" (list 5432) | fromJsonArray)) | fromJson) -}}
{{- $rules = append $rules (include "airlock.np.rule" (dict "dir" "to" "peers" (include "airlock.np.podPeers" (dict "ctx" $ "components" (list "redis")) | fromJsonArray) "ports" (include "airlock.np.tcp" (list 6379) | fromJsonArray)) | fromJson) -}}
{{- else -}}
{{- $rules = append $rules (include "airlock.np.rule" (dict "dir" "to" "peers" $np.database.to "ports" (include "airlock.np.tcp" (list .Values.database.port) | fromJsonArray)) | fromJson) -}}
{{- $rules = append $rules (include "airlock.np.rule" (dict "dir" "to" "peers" $np.redis.to "ports" (include "airlock.np.tcp" (list .Values.redis.port) | fromJsonArray)) | fromJson) -}}
{{- end -}}
{{- toJson $rules -}}
{{- end -}}

{{/* Fails when air-gapped mode is on and an egress rule could reach any address. */}}
{{- define "airlock.np.assertClosed" -}}
{{- if .ctx.Values.airgapped.enabled -}}
{{- range $rule := .rules -}}
{{- $to := get $rule "to" -}}
{{- if not $to -}}
{{- fail (printf "airgapped.enabled: the %s egress rule on ports %s has no destination (it would allow any address). Name the peers (ipBlock CIDRs, pod or namespace selectors): see networkPolicy.* and <service>.networkPolicy.extraEgress." $.name (toJson (get $rule "ports"))) -}}
{{- end -}}
{{- range $peer := $to -}}
{{- $cidr := dig "ipBlock" "cidr" "" $peer | toString -}}
{{- if hasSuffix "/0" $cidr -}}
{{- fail (printf "airgapped.enabled: the %s egress rule allows %s (any address). Name the networks it really needs." $.name $cidr) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "airlock.np.metadata" -}}
metadata:
  name: {{ include "airlock.suffixedName" (dict "ctx" .ctx "suffix" .suffix) }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "airlock.labels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
{{- end -}}

{{/*
The policy of one Airlock component. In all-in-one mode the one pod gets the union of the four
services' rules, so IdP and upstream egress is configured in the same place in both modes.
*/}}
{{- define "airlock.networkPolicy" -}}
{{- if and .ctx.Values.networkPolicy.enabled (include "airlock.componentActive" .) -}}
{{- $ := .ctx -}}
{{- $c := .component -}}
{{- $np := $.Values.networkPolicy -}}
{{- $active := include "airlock.components" $ | fromJsonArray -}}
{{- $members := list $c -}}
{{- if eq $c "all" -}}
{{- $members = list "identity" "rbac" "gateway" "audit" "all" -}}
{{- end -}}
{{- $http := include "airlock.np.tcp" (list (include "airlock.httpPort" $)) | fromJsonArray -}}
{{- $internal := include "airlock.np.tcp" (list (include "airlock.internalPort" $)) | fromJsonArray -}}

{{- $ingress := list -}}
{{- if $np.ingressFrom -}}
{{- $ingress = append $ingress (dict "from" $np.ingressFrom "ports" $http) -}}
{{- end -}}
{{- $callers := list -}}
{{- range (include "airlock.neededBy" (dict "component" $c) | fromJsonArray) -}}
{{- if has . $active -}}
{{- $callers = append $callers . -}}
{{- end -}}
{{- end -}}
{{- if $callers -}}
{{- $ingress = append $ingress (dict "from" (include "airlock.np.podPeers" (dict "ctx" $ "components" $callers) | fromJsonArray) "ports" $http) -}}
{{- end -}}
{{- if $.Values.tests.enabled -}}
{{- $ingress = append $ingress (dict "from" (include "airlock.np.podPeers" (dict "ctx" $ "components" (list "test")) | fromJsonArray) "ports" $http) -}}
{{- end -}}
{{- if $np.metricsFrom -}}
{{- $ingress = append $ingress (dict "from" $np.metricsFrom "ports" $internal) -}}
{{- end -}}

{{- $egress := include "airlock.np.baseEgress" $ | fromJsonArray -}}
{{- $callees := list -}}
{{- range (include "airlock.needs" $c | fromJsonArray) -}}
{{- if has . $active -}}
{{- $callees = append $callees . -}}
{{- end -}}
{{- end -}}
{{- if $callees -}}
{{- $egress = append $egress (dict "to" (include "airlock.np.podPeers" (dict "ctx" $ "components" $callees) | fromJsonArray) "ports" $http) -}}
{{- end -}}
{{- range $m := $members -}}
{{- $mv := index $.Values (include "airlock.valuesKey" $m) -}}
{{- range $mv.networkPolicy.extraIngress -}}
{{- $ingress = append $ingress . -}}
{{- end -}}
{{- range $mv.networkPolicy.extraEgress -}}
{{- $egress = append $egress . -}}
{{- end -}}
{{- end -}}
{{- include "airlock.np.assertClosed" (dict "ctx" $ "rules" $egress "name" (ternary "all-in-one" $c (eq $c "all"))) -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
{{ include "airlock.np.metadata" (dict "ctx" $ "suffix" $c "component" $c) }}
spec:
  podSelector:
    matchLabels:
      {{- include "airlock.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  {{- if $ingress }}
  ingress:
    {{- toYaml $ingress | nindent 4 }}
  {{- else }}
  ingress: []
  {{- end }}
  egress:
    {{- toYaml $egress | nindent 4 }}
{{- end -}}
{{- end -}}
