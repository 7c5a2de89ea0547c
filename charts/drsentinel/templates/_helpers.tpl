{{- define "drsentinel.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "drsentinel.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "drsentinel.labels" -}}
{{ include "drsentinel.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "drsentinel.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "drsentinel.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "drsentinel.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* The Secret holding Alertmanager's token, and the operators'. */}}
{{- define "drsentinel.webhookSecret" -}}
{{- default (printf "%s-webhook" (include "drsentinel.fullname" .)) .Values.webhook.existingSecret -}}
{{- end -}}
{{- define "drsentinel.operatorSecret" -}}
{{- default (printf "%s-operator" (include "drsentinel.fullname" .)) .Values.operator.existingSecret -}}
{{- end -}}

{{/* A random token kept across upgrades: the Secret's current value when it exists. */}}
{{- define "drsentinel.token" -}}
{{- $existing := lookup "v1" "Secret" .namespace .name -}}
{{- if and $existing (index ($existing.data | default dict) "token") -}}
{{- index $existing.data "token" -}}
{{- else -}}
{{- randAlphaNum 40 | b64enc -}}
{{- end -}}
{{- end -}}
