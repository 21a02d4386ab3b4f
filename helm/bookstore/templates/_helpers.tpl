{{/* Names and labels. */}}
{{- define "bookstore.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "bookstore.labels" -}}
app.kubernetes.io/part-of: bookstore
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: include "bookstore.selector" (list $ "identity") */}}
{{- define "bookstore.selector" -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
{{- end -}}

{{/* All labels of one component's objects: (list $ "identity") */}}
{{- define "bookstore.componentLabels" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/part-of: bookstore
app.kubernetes.io/managed-by: {{ $.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $.Chart.Name $.Chart.Version }}
{{ include "bookstore.selector" . }}
{{- end -}}

{{- define "bookstore.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Where the services find their dependencies. */}}
{{- define "bookstore.dbHost" -}}
{{- .Values.config.database.host | default (printf "%s-mariadb" (include "bookstore.fullname" .)) -}}
{{- end -}}
{{- define "bookstore.redisHost" -}}
{{- .Values.config.redis.host | default (printf "%s-redis" (include "bookstore.fullname" .)) -}}
{{- end -}}
{{- define "bookstore.kafkaBrokers" -}}
{{- .Values.config.kafka.brokers | default (printf "%s-kafka:9092" (include "bookstore.fullname" .)) -}}
{{- end -}}

{{- define "bookstore.secretName" -}}
{{- .Values.config.existingSecret | default (printf "%s-secrets" (include "bookstore.fullname" .)) -}}
{{- end -}}
{{- define "bookstore.jwtSecretName" -}}
{{- .Values.config.jwt.existingSecret | default (printf "%s-jwt" (include "bookstore.fullname" .)) -}}
{{- end -}}

{{/* A value kept across upgrades: the given one, else the one already in the
     release's Secret, else a new random one. (list $ "key" "given value") */}}
{{- define "bookstore.secretValue" -}}
{{- $ := index . 0 -}}
{{- $key := index . 1 -}}
{{- $given := index . 2 -}}
{{- if $given -}}
{{- $given | b64enc -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" $.Release.Namespace (printf "%s-secrets" (include "bookstore.fullname" $)) -}}
{{- if and $existing (hasKey $existing.data $key) -}}
{{- index $existing.data $key -}}
{{- else -}}
{{- randAlphaNum 32 | b64enc -}}
{{- end -}}
{{- end -}}
{{- end -}}
