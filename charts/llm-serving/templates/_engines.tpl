{{/*
What differs between the two serving engines: image, container name, port, command line and
environment. Everything else in the pod (security context, cache volume, probes, NetworkPolicy,
Ingress, ServiceMonitor) is shared, so both engines get the same hardening and the same routes.
  vllm:     vLLM's OpenAI server on GPUs.
  llamacpp: the llama.cpp server on CPU, serving one GGUF file.
*/}}

{{- define "llm-serving.isLlamacpp" -}}
{{- if eq .Values.engine "llamacpp" }}true{{ end }}
{{- end }}

{{/* GPUs per pod: vLLM defaults to one; llama.cpp never gets any (the schema refuses a count). */}}
{{- define "llm-serving.gpus" -}}
{{- if include "llm-serving.isLlamacpp" . }}0{{ else }}{{ .Values.gpu.count | default 1 | int }}{{ end }}
{{- end }}

{{- define "llm-serving.image" -}}
{{- if include "llm-serving.isLlamacpp" . }}
{{- include "llm-serving.imageRef" .Values.llamacpp.image }}
{{- else }}
{{- include "llm-serving.imageRef" .Values.image }}
{{- end }}
{{- end }}

{{- define "llm-serving.imageTag" -}}
{{- if include "llm-serving.isLlamacpp" . }}{{ .Values.llamacpp.image.tag }}{{ else }}{{ .Values.image.tag | default .Chart.AppVersion }}{{ end }}
{{- end }}

{{- define "llm-serving.imagePullPolicy" -}}
{{- if include "llm-serving.isLlamacpp" . }}{{ .Values.llamacpp.image.pullPolicy }}{{ else }}{{ .Values.image.pullPolicy }}{{ end }}
{{- end }}

{{- define "llm-serving.containerName" -}}
{{- if include "llm-serving.isLlamacpp" . }}llama-server{{ else }}vllm{{ end }}
{{- end }}

{{/*
The port the engine listens on. Given on the command line for both: llama.cpp's built-in default
has changed between builds (8080, later 9931), so relying on it would break on an image bump.
*/}}
{{- define "llm-serving.containerPort" -}}
{{- if include "llm-serving.isLlamacpp" . }}8080{{ else }}8000{{ end }}
{{- end }}

{{/* The queue the autoscaler reads: requests waiting for a free slot / batch. */}}
{{- define "llm-serving.queueMetric" -}}
{{- if include "llm-serving.isLlamacpp" . }}llamacpp:requests_deferred{{ else }}vllm:num_requests_waiting{{ end }}
{{- end }}

{{/* The GGUF file llama.cpp loads from the cache when the model loader copied it there. */}}
{{- define "llm-serving.ggufPath" -}}
{{- printf "%s/%s" (include "llm-serving.preloadedDir" .) .Values.model.ggufFile }}
{{- end }}

{{/* command and args of the serving container, as YAML keys. */}}
{{- define "llm-serving.engineCommand" -}}
{{- $m := .Values.model }}
{{- if include "llm-serving.isLlamacpp" . }}
{{- $l := .Values.llamacpp }}
command: ["/app/llama-server"]
args:
  {{- if .Values.modelLoader.enabled }}
  - --model
  - {{ include "llm-serving.ggufPath" . | quote }}
  {{- else }}
  # One file of a GGUF repository on the Hub, cached under LLAMA_CACHE on the cache volume.
  - --hf-repo
  - {{ $m.name | quote }}
  - --hf-file
  - {{ $m.ggufFile | quote }}
  {{- end }}
  - --host
  - 0.0.0.0
  - --port
  - {{ include "llm-serving.containerPort" . | quote }}
  # The name clients send as "model", as with vLLM's --served-model-name.
  - --alias
  - {{ include "llm-serving.servedModelName" . | quote }}
  # Prometheus metrics (llamacpp:*) on /metrics; off by default in llama.cpp.
  - --metrics
  {{- with $m.maxModelLen }}
  - --ctx-size
  - {{ int . | quote }}
  {{- end }}
  {{- with $l.threads }}
  - --threads
  - {{ int . | quote }}
  {{- end }}
  {{- with $l.parallel }}
  - --parallel
  - {{ int . | quote }}
  {{- end }}
  # Host memory for the prompt cache of idle slots. llama.cpp's default (8192 MiB) is far above a
  # small pod's memory limit, so the cache would grow with each new conversation until the OOM kill.
  - --cache-ram
  - {{ int $l.cacheRamMiB | quote }}
  {{- range $m.extraArgs }}
  - {{ . | quote }}
  {{- end }}
{{- else }}
# Explicit, because the image's entrypoint has changed between releases
# (python -m vllm.entrypoints.openai.api_server, later vllm serve).
command: ["vllm", "serve"]
args:
  - {{ include "llm-serving.modelRef" . | quote }}
  - --port
  - {{ include "llm-serving.containerPort" . | quote }}
  - --served-model-name
  - {{ include "llm-serving.servedModelName" . | quote }}
  - --tensor-parallel-size
  - {{ include "llm-serving.gpus" . | quote }}
  - --gpu-memory-utilization
  - {{ $m.gpuMemoryUtilization | toString | quote }}
  {{- with $m.maxModelLen }}
  - --max-model-len
  - {{ int . | quote }}
  {{- end }}
  {{- with $m.maxNumSeqs }}
  - --max-num-seqs
  - {{ int . | quote }}
  {{- end }}
  {{- with $m.dtype }}
  - --dtype
  - {{ . | quote }}
  {{- end }}
  {{- if .Values.modelStreamer.enabled }}
  # Safetensors streamed from the bucket into GPU memory, several reads in parallel.
  - --load-format
  - runai_streamer
  - --model-loader-extra-config
  - {{ dict "concurrency" (int .Values.modelStreamer.concurrency) | toJson | quote }}
  {{- end }}
  {{- range $m.extraArgs }}
  - {{ . | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The engine's own env entries (a YAML list), after the shared API key and HF token. */}}
{{- define "llm-serving.engineEnv" -}}
{{- $cacheDir := include "llm-serving.cacheDir" . }}
{{- $home := "/home/vllm" }}
{{- if include "llm-serving.isLlamacpp" . }}
# --hf-repo downloads go to $HF_HOME/hub (the Hugging Face cache layout) on the cache volume, so a
# restarted pod does not fetch again. LLAMA_CACHE is the older builds' flat cache, which current
# builds only migrate from.
- name: HF_HOME
  value: {{ $cacheDir }}
- name: LLAMA_CACHE
  value: {{ $cacheDir }}/llama.cpp
{{- if .Values.modelLoader.enabled }}
# The file is local: never reach for the Hub.
- name: LLAMA_ARG_OFFLINE
  value: "1"
{{- end }}
{{- else }}
# The UID has no /etc/passwd entry; getpass.getuser() (used by torch) falls back to USER.
- name: USER
  value: vllm
- name: XDG_CACHE_HOME
  value: {{ $home }}/.cache
- name: XDG_CONFIG_HOME
  value: {{ $home }}/.config
- name: HF_HOME
  value: {{ $cacheDir }}
# On the model cache volume, so a restarted pod reuses the torch.compile result.
- name: VLLM_CACHE_ROOT
  value: {{ $cacheDir }}/vllm
- name: VLLM_CONFIG_ROOT
  value: {{ $home }}/.config/vllm
- name: TRITON_CACHE_DIR
  value: {{ $home }}/.cache/triton
- name: TORCHINDUCTOR_CACHE_DIR
  value: {{ $home }}/.cache/torchinductor
- name: NUMBA_CACHE_DIR
  value: {{ $home }}/.cache/numba
- name: OUTLINES_CACHE_DIR
  value: {{ $home }}/.cache/outlines
- name: VLLM_NO_USAGE_STATS
  value: "1"
- name: DO_NOT_TRACK
  value: "1"
{{- if or .Values.modelLoader.enabled .Values.modelStreamer.enabled }}
# Weights are local or in the bucket (config and tokenizer too): no call to the Hugging Face Hub at all.
- name: HF_HUB_OFFLINE
  value: "1"
{{- end }}
{{- end }}
{{- end }}

{{/* The env var each engine reads its API key from. */}}
{{- define "llm-serving.apiKeyEnv" -}}
{{- if include "llm-serving.isLlamacpp" . }}LLAMA_API_KEY{{ else }}VLLM_API_KEY{{ end }}
{{- end }}

{{/* Engine rules the schema cannot word well; included by the Deployment. */}}
{{- define "llm-serving.validateEngine" -}}
{{- if include "llm-serving.isLlamacpp" . }}
{{- $_ := required "model.ggufFile is required when engine=llamacpp: the GGUF file of model.name (a Hub repository) to serve, e.g. qwen2.5-0.5b-instruct-q4_k_m.gguf" .Values.model.ggufFile }}
{{- if gt (int (.Values.gpu.count | default 0)) 0 }}
{{- fail (printf "gpu.count (%v) must be unset or 0 when engine=llamacpp: the llama.cpp image is the CPU build" .Values.gpu.count) }}
{{- end }}
{{- end }}
{{- end }}
