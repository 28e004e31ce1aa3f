{{/* Names, labels and the proxy's forwarded extra keys, shared by the templates. */}}

{{- define "kubeward.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeward.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else if contains (include "kubeward.name" .) .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "kubeward.name" .) | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubeward.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "kubeward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "ctx" $ "component" "proxy"). */}}
{{- define "kubeward.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubeward.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kubeward.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "kubeward.proxy.serviceAccountName" -}}
{{- default (printf "%s-proxy" (include "kubeward.fullname" .)) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "kubeward.proxy.tlsSecretName" -}}
{{- default (printf "%s-proxy-tls" (include "kubeward.fullname" .)) .Values.proxy.tls.secretName -}}
{{- end -}}

{{/*
The user-extra keys the proxy may send, as JSON, in the order `kubeward rbac`
prints them (src/deploy/rbac.ts): credential-id and the original-user keys
always, remote-client-ip when forwarded, then the configured keys lowercased
and sorted, without duplicates. A unit test keeps the two in step.
*/}}
{{- define "kubeward.proxy.extraKeys" -}}
{{- $fixed := list "authentication.kubernetes.io/credential-id" "kubeward.dev/original-user" "kubeward.dev/original-groups" "kubeward.dev/original-uid" -}}
{{- if .Values.proxy.extraUserHeaderClientIP -}}
{{- $fixed = append $fixed "remote-client-ip" -}}
{{- end -}}
{{- $configured := list -}}
{{- range $key, $_ := .Values.proxy.extraUserHeaders -}}
{{- $configured = append $configured (lower $key) -}}
{{- end -}}
{{- range .Values.proxy.clientExtraKeys -}}
{{- $configured = append $configured (lower .) -}}
{{- end -}}
{{- concat $fixed (sortAlpha $configured) | uniq | toJson -}}
{{- end -}}

{{/* The proxy's config file (the `kubeward proxy --config` shape). */}}
{{- define "kubeward.proxy.config" -}}
{{- $o := .Values.proxy.oidc -}}
oidc:
  issuerURL: {{ $o.issuerURL | quote }}
  clientID: {{ $o.clientID | quote }}
  {{- if or $o.ca.secretName $o.ca.configMapName }}
  caFile: /etc/kubeward/oidc-ca/{{ $o.ca.key }}
  {{- end }}
  usernameClaim: {{ $o.usernameClaim | quote }}
  {{- if not (kindIs "invalid" $o.usernamePrefix) }}
  usernamePrefix: {{ $o.usernamePrefix | quote }}
  {{- end }}
  {{- with $o.groupsClaim }}
  groupsClaim: {{ . | quote }}
  {{- end }}
  {{- with $o.groupsPrefix }}
  groupsPrefix: {{ . | quote }}
  {{- end }}
  signingAlgs: {{ $o.signingAlgs | toJson }}
  {{- with $o.requiredClaims }}
  requiredClaims: {{ . | toJson }}
  {{- end }}
{{- if .Values.proxy.upstreamKubeconfigSecret.name }}
kubeconfig: /etc/kubeward/upstream/{{ .Values.proxy.upstreamKubeconfigSecret.key }}
{{- end }}
tlsCertFile: /etc/kubeward/tls/tls.crt
tlsPrivateKeyFile: /etc/kubeward/tls/tls.key
securePort: {{ .Values.proxy.securePort }}
readinessProbePort: {{ .Values.proxy.readinessProbePort }}
{{- if .Values.proxy.metrics.enabled }}
metricsServingAddress: "0.0.0.0:{{ .Values.proxy.metrics.port }}"
{{- end }}
{{- with .Values.proxy.extraUserHeaders }}
extraUserHeaders: {{ . | toJson }}
{{- end }}
extraUserHeaderClientIP: {{ .Values.proxy.extraUserHeaderClientIP }}
allowReservedIdentities: {{ .Values.proxy.allowReservedIdentities }}
shutdownGracePeriod: {{ .Values.proxy.shutdownGracePeriod | quote }}
logLevel: {{ .Values.proxy.logLevel | quote }}
{{- end -}}

{{/* Whole seconds in a duration like 30s, 2m or 1m30s (the shapes values.schema.json allows). */}}
{{- define "kubeward.durationSeconds" -}}
{{- $total := 0 -}}
{{- range regexFindAll "[0-9]+[hms]" . -1 -}}
{{- $n := trimSuffix "h" (trimSuffix "m" (trimSuffix "s" .)) | int -}}
{{- if hasSuffix "h" . -}}{{- $total = add $total (mul $n 3600) -}}
{{- else if hasSuffix "m" . -}}{{- $total = add $total (mul $n 60) -}}
{{- else -}}{{- $total = add $total $n -}}{{- end -}}
{{- end -}}
{{- $total -}}
{{- end -}}
