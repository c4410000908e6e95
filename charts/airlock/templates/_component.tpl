{{/*
One implementation of a service's objects, rendered once per component by the one-line files
in templates/<service>/ (like mimir's templates/<component>/<component>-dep.yaml, without four
copies). Each define takes (dict "ctx" $ "component" "<name>") and renders nothing when the
component is not deployed.
*/}}

{{- define "airlock.deployment" -}}
{{- if include "airlock.componentActive" . -}}
{{- $ := .ctx -}}
{{- $c := .component -}}
{{- $v := index $.Values (include "airlock.valuesKey" $c) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "airlock.componentName" . }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "airlock.labels" . | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    {{- toYaml $v.strategy | nindent 4 }}
  selector:
    matchLabels:
      {{- include "airlock.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "airlock.labels" . | nindent 8 }}
        {{- with (merge (dict) $v.podLabels $.Values.global.podLabels) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Roll the pods when their configuration or the chart's Secret changes.
        checksum/config: {{ include "airlock.configChecksum" $ }}
        {{- if include "airlock.chartSecretEnabled" $ }}
        checksum/secret: {{ include "airlock.secretChecksum" $ }}
        {{- end }}
        {{- with (merge (dict) $v.podAnnotations $.Values.global.podAnnotations) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "airlock.serviceAccountName" . }}
      {{- include "airlock.podDefaults" $ | nindent 6 }}
      securityContext:
        {{- toYaml $.Values.global.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml $v.topologySpreadConstraints | nindent 8 }}
      {{- else if $.Values.global.topologySpread.enabled }}
      topologySpreadConstraints:
        {{- range $key := $.Values.global.topologySpread.topologyKeys }}
        - maxSkew: {{ $.Values.global.topologySpread.maxSkew }}
          topologyKey: {{ $key }}
          whenUnsatisfiable: {{ $.Values.global.topologySpread.whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "airlock.selectorLabels" (dict "ctx" $ "component" $c) | nindent 14 }}
          matchLabelKeys:
            - pod-template-hash
        {{- end }}
      {{- end }}
      containers:
        - name: {{ $c }}
          image: {{ include "airlock.image" $ }}
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          args:
            - --target={{ $c }}
            {{- with $v.extraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: http
              containerPort: {{ include "airlock.httpPort" $ }}
              protocol: TCP
            - name: internal
              containerPort: {{ include "airlock.internalPort" $ }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "airlock.suffixedName" (dict "ctx" $ "suffix" "config") }}
            {{- with $.Values.global.extraEnvFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnvFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            {{- include "airlock.componentEnv" . | trim | nindent 12 }}
          # /healthz is the process alone (a Redis outage never restarts pods); /readyz adds the
          # database and Redis and fails while draining. Both on the internal port.
          startupProbe:
            httpGet:
              path: /healthz
              port: internal
            periodSeconds: 2
            failureThreshold: 60
          livenessProbe:
            httpGet:
              path: /healthz
              port: internal
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: internal
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $.Values.global.containerSecurityContext | nindent 12 }}
          volumeMounts:
            {{- include "airlock.baseVolumeMounts" $ | nindent 12 }}
            {{- with $v.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "airlock.baseVolumes" $ | nindent 8 }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}
{{- end -}}

{{- define "airlock.service" -}}
{{- if include "airlock.componentActive" . -}}
{{- $ := .ctx -}}
{{- $v := index $.Values (include "airlock.valuesKey" .component) -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "airlock.componentName" . }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "airlock.labels" . | nindent 4 }}
    {{- with $v.service.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "airlock.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ include "airlock.httpPort" $ }}
      targetPort: http
      protocol: TCP
    - name: internal
      port: {{ include "airlock.internalPort" $ }}
      targetPort: internal
      protocol: TCP
{{- end -}}
{{- end -}}

{{- define "airlock.serviceAccount" -}}
{{- if include "airlock.componentActive" . -}}
{{- $ := .ctx -}}
{{- $v := index $.Values (include "airlock.valuesKey" .component) -}}
{{- if $v.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "airlock.serviceAccountName" . }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "airlock.labels" . | nindent 4 }}
  {{- with $v.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
# Airlock never calls the Kubernetes API.
automountServiceAccountToken: false
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "airlock.pdb" -}}
{{- if include "airlock.componentActive" . -}}
{{- $ := .ctx -}}
{{- $v := index $.Values (include "airlock.valuesKey" .component) -}}
{{- if $v.podDisruptionBudget.enabled -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "airlock.componentName" . }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "airlock.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "airlock.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "airlock.hpa" -}}
{{- if include "airlock.componentActive" . -}}
{{- $ := .ctx -}}
{{- $a := (index $.Values (include "airlock.valuesKey" .component)).autoscaling -}}
{{- if $a.enabled -}}
{{- if not (or $a.targetCPUUtilizationPercentage $a.targetMemoryUtilizationPercentage) -}}
{{- fail (printf "%s.autoscaling: set targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" (include "airlock.valuesKey" .component)) -}}
{{- end -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "airlock.componentName" . }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "airlock.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "airlock.componentName" . }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- with $a.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
{{- end -}}
{{- end -}}
{{- end -}}
