{{/* Names are cut to 63 characters: the DNS label limit for Services and label values. */}}
{{- define "llm-serving.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "llm-serving.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "llm-serving.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "llm-serving.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llm-serving.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The version label reports the image actually running, which may differ from appVersion. */}}
{{- define "llm-serving.labels" -}}
helm.sh/chart: {{ include "llm-serving.chart" . }}
{{ include "llm-serving.selectorLabels" . }}
app.kubernetes.io/version: {{ include "llm-serving.imageTag" . | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: inference-server
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "llm-serving.serviceAccountName" -}}
{{- default (include "llm-serving.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* image: {repository, tag, digest}. A digest, when given, is what the node pulls. */}}
{{- define "llm-serving.imageRef" -}}
{{- if .digest }}
{{- printf "%s:%s@%s" .repository .tag .digest }}
{{- else }}
{{- printf "%s:%s" .repository .tag }}
{{- end }}
{{- end }}

{{- define "llm-serving.servedModelName" -}}
{{- default .Values.model.name .Values.model.servedModelName }}
{{- end }}

{{/* HF_HOME. The model cache volume is mounted here. */}}
{{- define "llm-serving.cacheDir" -}}/models{{- end }}

{{/* Where the model loader puts the weights: one directory per source, so a new source never reuses old files. */}}
{{- define "llm-serving.preloadedDir" -}}
{{- if .Values.modelLoader.registry.uri }}
{{- /* One directory whatever version the reference resolves to: the loader replaces its contents when it changes. */}}
{{- printf "%s/preloaded/registry" (include "llm-serving.cacheDir" .) }}
{{- else }}
{{- printf "%s/preloaded/%s" (include "llm-serving.cacheDir" .) (sha256sum .Values.modelLoader.source | trunc 16) }}
{{- end }}
{{- end }}

{{/* What vLLM loads: the bucket URI it streams from, the local copy when the loader runs, the Hub id or path otherwise. */}}
{{- define "llm-serving.modelRef" -}}
{{- if .Values.modelStreamer.enabled }}
{{- .Values.modelStreamer.uri }}
{{- else if .Values.modelLoader.enabled }}
{{- include "llm-serving.preloadedDir" . }}
{{- else }}
{{- .Values.model.name }}
{{- end }}
{{- end }}

{{/* The most pods this release can run at once, the rolling update's surge pods included. */}}
{{- define "llm-serving.maxPods" -}}
{{- if .Values.autoscaling.enabled }}
{{- add .Values.autoscaling.maxReplicas .Values.rollout.maxSurge }}
{{- else }}
{{- add .Values.replicas .Values.rollout.maxSurge }}
{{- end }}
{{- end }}

{{- define "llm-serving.modelCacheClaimName" -}}
{{- default (printf "%s-cache" (include "llm-serving.fullname" .)) .Values.cache.persistence.existingClaim }}
{{- end }}

{{/*
Rules the schema cannot express. Included by the Deployment, which always renders,
so `helm template` and `helm install` stop with a message naming both fields.
*/}}
{{- define "llm-serving.validate" -}}
{{- $_ := required "model.name is required: a Hugging Face id or a path in the container" .Values.model.name }}
{{- $_ = required "apiKey.existingSecret is required: vLLM must never serve /v1 without an API key" .Values.apiKey.existingSecret }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" .Values.autoscaling.minReplicas .Values.autoscaling.maxReplicas) }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- $_ = required "autoscaling.prometheusServerAddress is required when autoscaling.enabled=true" .Values.autoscaling.prometheusServerAddress }}
{{- if and (not .Values.serviceMonitor.enabled) (not .Values.autoscaling.query) }}
{{- fail "autoscaling.enabled=true needs serviceMonitor.enabled=true: the default query reads the engine's queue (vllm:num_requests_waiting or llamacpp:requests_deferred) from Prometheus, which only has it if this release is scraped (or set autoscaling.query to a metric you scrape another way)" }}
{{- end }}
{{- end }}
{{- if .Values.ingress.enabled }}
{{- $_ = required "ingress.host is required when ingress.enabled=true (TLS needs a host name)" .Values.ingress.host }}
{{- end }}
{{- if and .Values.modelLoader.enabled (not .Values.modelLoader.registry.uri) }}
{{- $_ = required "modelLoader.source (or modelLoader.registry.uri) is required when modelLoader.enabled=true (s3://bucket/prefix or gs://bucket/prefix)" .Values.modelLoader.source }}
{{- end }}
{{- if and .Values.modelLoader.registry.uri .Values.modelLoader.source }}
{{- fail "modelLoader.source and modelLoader.registry.uri exclude each other: copy a fixed bucket prefix, or the version a registry reference resolves to" }}
{{- end }}
{{- if .Values.modelStreamer.enabled }}
{{- $_ = required "modelStreamer.uri is required when modelStreamer.enabled=true (s3://bucket/prefix or gs://bucket/prefix)" .Values.modelStreamer.uri }}
{{- if eq .Values.engine "llamacpp" }}
{{- fail "modelStreamer.enabled=true needs engine=vllm: the Run:ai streamer loads safetensors; llama.cpp reads one GGUF file (use modelLoader)" }}
{{- end }}
{{- if .Values.modelLoader.enabled }}
{{- fail "modelStreamer.enabled and modelLoader.enabled exclude each other: stream the weights into GPU memory, or copy them to the cache first" }}
{{- end }}
{{- if .Values.hfToken.existingSecret }}
{{- fail "hfToken.existingSecret must be empty with modelStreamer.enabled=true: the weights come from the bucket through the pod's cloud identity, and no Hub token is mounted" }}
{{- end }}
{{- end }}
{{- if and .Values.autoscaling.enabled (eq (int .Values.autoscaling.minReplicas) 0) }}
{{- $_ = required "autoscaling.activation.query is required when autoscaling.minReplicas=0: with no pod running the queue is empty, so only front-door traffic can wake the model" .Values.autoscaling.activation.query }}
{{- end }}
{{- if and .Values.cache.persistence.enabled (not .Values.cache.persistence.existingClaim) (gt (int (include "llm-serving.maxPods" .)) 1) }}
{{- $modes := .Values.cache.persistence.accessModes }}
{{- if not (has "ReadWriteMany" $modes) }}
{{- fail (printf "cache.persistence.accessModes %v cannot be shared by up to %s pods on different nodes (Multi-Attach error). Use a ReadWriteMany StorageClass, cache.persistence.existingClaim, or cache.persistence.enabled=false with a per-pod cache (cache.perPod.type emptyDir or ephemeralVolume)" $modes (include "llm-serving.maxPods" .)) }}
{{- end }}
{{- end }}
{{- end }}
