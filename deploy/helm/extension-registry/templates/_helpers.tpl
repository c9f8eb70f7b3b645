{{/* The chart's name. */}}
{{- define "extension-registry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name, the base of every object name. */}}
{{- define "extension-registry.fullname" -}}
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

{{/* The labels that select the registry pods. */}}
{{- define "extension-registry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "extension-registry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: registry
{{- end -}}

{{/* The labels of every object. */}}
{{- define "extension-registry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "extension-registry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: extension-registry
{{- end -}}

{{- define "extension-registry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "extension-registry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the credentials: the existing one, or the chart's. */}}
{{- define "extension-registry.secretName" -}}
{{- default (include "extension-registry.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The keys of the chart's own Secret and the values they hold. */}}
{{- define "extension-registry.secretValues" -}}
{{- $s := .Values.secrets -}}
gitea-token: {{ $s.giteaToken | quote }}
gitea-password: {{ $s.giteaPassword | quote }}
oci-password: {{ $s.ociPassword | quote }}
oci-token: {{ $s.ociToken | quote }}
webhook-gitea-secret: {{ $s.webhookGiteaSecret | quote }}
webhook-registry-token: {{ $s.webhookRegistryToken | quote }}
redis-url: {{ $s.redisURL | quote }}
{{- if .Values.redis.enabled }}
redis-password: {{ .Values.redis.password | quote }}
{{- end }}
{{- end -}}

{{/* The keys the Secret holds, as a JSON list. */}}
{{- define "extension-registry.secretKeys" -}}
{{- $keys := list -}}
{{- if .Values.secrets.existingSecret -}}
{{- $keys = .Values.secrets.existingSecretKeys -}}
{{- else -}}
{{- range $k, $v := include "extension-registry.secretValues" . | fromYaml -}}
{{- if $v }}{{ $keys = append $keys $k }}{{ end -}}
{{- end -}}
{{- end -}}
{{- toJson $keys -}}
{{- end -}}

{{/* Where the Secret's files are mounted. */}}
{{- define "extension-registry.secretDir" -}}/etc/extension-registry/secrets{{- end -}}

{{/* The configuration file: the values' config plus what the chart sets. */}}
{{- define "extension-registry.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- $_ := set $cfg "listen" (printf ":%d" (int .Values.containerPort)) -}}
{{- $_ := set $cfg "data_dir" "/data" -}}
{{- $_ := set $cfg "blobs" (dict "dir" "/data/blobs" "max_size" (toString .Values.blobCache.maxSize)) -}}
{{- $keys := include "extension-registry.secretKeys" . | fromJsonArray -}}
{{- $dir := include "extension-registry.secretDir" . -}}
{{- $files := dict "gitea-token" (list "gitea" "token_file") "gitea-password" (list "gitea" "password_file") "oci-password" (list "oci" "password_file") "oci-token" (list "oci" "token_file") "webhook-gitea-secret" (list "webhooks" "gitea_secret_file") "webhook-registry-token" (list "webhooks" "registry_token_file") -}}
{{- range $secretKey, $path := $files -}}
{{- if has $secretKey $keys -}}
{{- $section := get $cfg (index $path 0) | default dict -}}
{{- $_ := set $section (index $path 1) (printf "%s/%s" $dir $secretKey) -}}
{{- $_ := set $cfg (index $path 0) $section -}}
{{- end -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The in-cluster Redis's name. */}}
{{- define "extension-registry.redisName" -}}
{{- printf "%s-redis" (include "extension-registry.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
