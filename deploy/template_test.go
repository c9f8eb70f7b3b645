package deploy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/provisioning-platform/extension-registry/config"
)

// workload returns the registry's Deployment or StatefulSet.
func workload(t *testing.T, objs []object) object {
	t.Helper()
	var found []object
	for _, o := range append(byKind(objs, "Deployment"), byKind(objs, "StatefulSet")...) {
		if str(o, "spec", "template", "metadata", "labels", "app.kubernetes.io/component") == "registry" {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d registry workloads rendered, want 1", len(found))
	}
	return found[0]
}

// labelsMatch reports whether every selector label is among labels.
func labelsMatch(selector, labels any) bool {
	sel, lab := asMap(selector), asMap(labels)
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if lab[k] != v {
			return false
		}
	}
	return true
}

func TestHelmTemplate(t *testing.T) {
	cases := []struct {
		name, set  string
		replicas   int
		kind       string
		redis      bool
		persistent bool
	}{
		{name: "defaults", replicas: 1, kind: "Deployment"},
		{name: "three replicas with redis", set: "replicaCount=3,redis.enabled=true", replicas: 3, kind: "Deployment", redis: true},
		{name: "persistent per pod", set: "replicaCount=3,redis.enabled=true,storage.type=persistent", replicas: 3, kind: "StatefulSet", redis: true, persistent: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.set)
			w := workload(t, objs)
			if w.kind() != tc.kind {
				t.Errorf("workload kind %s, want %s", w.kind(), tc.kind)
			}
			if got := get(w, "spec", "replicas"); got != tc.replicas {
				t.Errorf("replicas %v, want %d", got, tc.replicas)
			}
			pod := get(w, "spec", "template")
			podLabels := get(pod, "metadata", "labels")
			if !labelsMatch(get(w, "spec", "selector", "matchLabels"), podLabels) {
				t.Error("the workload's selector does not match its pods")
			}
			checkContainer(t, pod)
			checkStorage(t, objs, w, tc.persistent)

			pdbs := byKind(objs, "PodDisruptionBudget")
			if (len(pdbs) == 1) != (tc.replicas > 1) || len(pdbs) > 1 {
				t.Errorf("%d PodDisruptionBudgets with %d replicas", len(pdbs), tc.replicas)
			}
			for _, p := range pdbs {
				if !labelsMatch(get(p, "spec", "selector", "matchLabels"), podLabels) {
					t.Error("the PodDisruptionBudget does not select the registry pods")
				}
			}

			var svc object
			for _, s := range byKind(objs, "Service") {
				if s.name() == "reg-extension-registry" {
					svc = s
				}
			}
			if svc == nil || !labelsMatch(get(svc, "spec", "selector"), podLabels) {
				t.Fatal("no Service selecting the registry pods")
			}
			checkRedis(t, objs, pod, svc, tc.redis)
			checkConfig(t, objs)
			if len(byKind(objs, "ServiceMonitor")) != 0 {
				t.Error("a ServiceMonitor rendered without metrics.serviceMonitor.enabled")
			}
		})
	}
}

// checkContainer checks probes, ports and the security settings.
func checkContainer(t *testing.T, pod any) {
	t.Helper()
	containers := list(pod, "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	c := containers[0]
	for probe, path := range map[string]string{"livenessProbe": "/livez", "readinessProbe": "/readyz"} {
		if got := str(c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path %q, want %q", probe, got, path)
		}
		if got := str(c, probe, "httpGet", "port"); got != str(c, "ports", 0, "name") || got == "" {
			t.Errorf("%s port %q is not the container's port %q", probe, got, str(c, "ports", 0, "name"))
		}
	}
	if get(pod, "spec", "securityContext", "runAsNonRoot") != true {
		t.Error("pods may run as root")
	}
	if get(c, "securityContext", "readOnlyRootFilesystem") != true || get(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("container securityContext %v", get(c, "securityContext"))
	}
	if get(pod, "spec", "automountServiceAccountToken") != false {
		t.Error("the service account token is mounted")
	}
}

// checkStorage checks that /data is per pod: an emptyDir, or a claim per
// pod from volumeClaimTemplates, never one PersistentVolumeClaim shared by
// the replicas.
func checkStorage(t *testing.T, objs []object, w object, persistent bool) {
	t.Helper()
	if pvcs := byKind(objs, "PersistentVolumeClaim"); len(pvcs) != 0 {
		t.Errorf("the chart renders %d PersistentVolumeClaim objects, which every replica would share", len(pvcs))
	}
	pod := get(w, "spec", "template")
	volumes := map[string]any{}
	for _, v := range list(pod, "spec", "volumes") {
		volumes[str(v, "name")] = v
		if get(v, "persistentVolumeClaim") != nil {
			t.Errorf("pod volume %q is a claim shared by every pod", str(v, "name"))
		}
	}
	var dataVolume string
	for _, m := range list(pod, "spec", "containers", 0, "volumeMounts") {
		if str(m, "mountPath") == "/data" {
			dataVolume = str(m, "name")
		}
	}
	if dataVolume == "" {
		t.Fatal("nothing mounted at /data")
	}
	templates := list(w, "spec", "volumeClaimTemplates")
	if persistent {
		if w.kind() != "StatefulSet" || len(templates) != 1 || str(templates[0], "metadata", "name") != dataVolume {
			t.Errorf("persistent storage: kind %s, claim templates %v, want one named %q", w.kind(), templates, dataVolume)
		}
		if _, inPod := volumes[dataVolume]; inPod {
			t.Errorf("/data is a pod volume, not the per-pod claim")
		}
		return
	}
	if len(templates) != 0 {
		t.Error("claim templates without storage.type=persistent")
	}
	if v, ok := volumes[dataVolume]; !ok || get(v, "emptyDir") == nil {
		t.Errorf("/data volume %v, want an emptyDir", v)
	}
}

// checkRedis checks the chart's own Redis and how the registry finds it.
func checkRedis(t *testing.T, objs []object, pod any, svc object, enabled bool) {
	t.Helper()
	var redisURL string
	for _, e := range list(pod, "spec", "containers", 0, "env") {
		if str(e, "name") == "EXTENSION_REGISTRY_REDIS_URL" {
			redisURL = str(e, "value")
		}
	}
	var redisSvc, redisDeploy object
	for _, o := range objs {
		if str(o, "metadata", "labels", "app.kubernetes.io/component") == "redis" {
			switch o.kind() {
			case "Service":
				redisSvc = o
			case "Deployment":
				redisDeploy = o
			}
		}
	}
	if !enabled {
		if redisSvc != nil || redisDeploy != nil || redisURL != "" {
			t.Errorf("Redis rendered without redis.enabled (url %q)", redisURL)
		}
		return
	}
	if redisSvc == nil || redisDeploy == nil {
		t.Fatal("redis.enabled renders no Redis Deployment and Service")
	}
	if want := fmt.Sprintf("redis://%s:6379/0", redisSvc.name()); redisURL != want {
		t.Errorf("EXTENSION_REGISTRY_REDIS_URL %q, want %q", redisURL, want)
	}
	if !labelsMatch(get(redisSvc, "spec", "selector"), get(redisDeploy, "spec", "template", "metadata", "labels")) {
		t.Error("the Redis Service does not select the Redis pod")
	}
	if labelsMatch(get(svc, "spec", "selector"), get(redisDeploy, "spec", "template", "metadata", "labels")) {
		t.Error("the registry Service also selects the Redis pod")
	}
	if get(redisDeploy, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
		t.Error("Redis may run as root")
	}
}

// checkConfig loads the rendered configuration as the registry would.
func checkConfig(t *testing.T, objs []object) {
	t.Helper()
	cms := byKind(objs, "ConfigMap")
	if len(cms) != 1 {
		t.Fatalf("%d ConfigMaps, want 1", len(cms))
	}
	text := str(cms[0], "data", "config.yaml")
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file, nil)
	if err != nil {
		t.Fatalf("the rendered config.yaml does not load: %v\n%s", err, text)
	}
	if cfg.DataDir != "/data" || cfg.BlobsDir() != "/data/blobs" || cfg.Blobs.MaxSize != 10<<30 || cfg.Listen != ":8082" {
		t.Errorf("config: data_dir %q, blobs %q %d, listen %q", cfg.DataDir, cfg.BlobsDir(), cfg.Blobs.MaxSize, cfg.Listen)
	}
}

func TestHelmSecretsStayOutOfTheConfigMap(t *testing.T) {
	const token, webhook = "tok-5ecr3t-gitea", "hook-5ecr3t"
	objs := render(t, "secrets.giteaToken="+token+",secrets.webhookGiteaSecret="+webhook+",config.gitea.url=https://gitea.example.com,config.gitea.organizations={provisioning}")
	var cmText string
	for _, cm := range byKind(objs, "ConfigMap") {
		b, _ := yaml.Marshal(cm)
		cmText += string(b)
	}
	for _, s := range []string{token, webhook} {
		if strings.Contains(cmText, s) {
			t.Errorf("secret %q in a ConfigMap", s)
		}
	}
	secrets := byKind(objs, "Secret")
	if len(secrets) != 1 || str(secrets[0], "stringData", "gitea-token") != token || str(secrets[0], "stringData", "webhook-gitea-secret") != webhook {
		t.Fatalf("Secrets %v", secrets)
	}
	if _, ok := get(secrets[0], "stringData", "oci-password").(string); ok {
		t.Error("an unset secret is in the Secret")
	}
	w := workload(t, objs)
	pod := get(w, "spec", "template")
	var mountPath string
	for _, m := range list(pod, "spec", "containers", 0, "volumeMounts") {
		if str(m, "name") == "secrets" {
			mountPath = str(m, "mountPath")
		}
	}
	var secretVolume any
	for _, v := range list(pod, "spec", "volumes") {
		if str(v, "name") == "secrets" {
			secretVolume = v
		}
	}
	if mountPath == "" || str(secretVolume, "secret", "secretName") != secrets[0].name() {
		t.Fatalf("the Secret is not mounted (path %q, volume %v)", mountPath, secretVolume)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(str(byKind(objs, "ConfigMap")[0], "data", "config.yaml")), &cfg); err != nil {
		t.Fatal(err)
	}
	if got := str(cfg, "gitea", "token_file"); got != mountPath+"/gitea-token" {
		t.Errorf("gitea.token_file %q, want the mounted %s/gitea-token", got, mountPath)
	}
	if got := str(cfg, "webhooks", "gitea_secret_file"); got != mountPath+"/webhook-gitea-secret" {
		t.Errorf("webhooks.gitea_secret_file %q", got)
	}
	if got := str(cfg, "gitea", "url"); got != "https://gitea.example.com" {
		t.Errorf("gitea.url %q: the values' config is lost", got)
	}
	// The configuration loads as the registry reads it, the Secret's
	// files standing where the pod mounts them.
	dir := t.TempDir()
	for key, value := range map[string]string{"gitea-token": token, "webhook-gitea-secret": webhook} {
		if err := os.WriteFile(filepath.Join(dir, key), []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text := strings.ReplaceAll(str(byKind(objs, "ConfigMap")[0], "data", "config.yaml"), mountPath, dir)
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := config.Load(file, nil)
	if err != nil {
		t.Fatalf("the rendered config.yaml does not load: %v\n%s", err, text)
	}
	if loaded.Gitea.Token.Reveal() != token || loaded.Webhooks.GiteaSecret.Reveal() != webhook {
		t.Error("the secrets read from the mounted files differ from the values")
	}
}

func TestHelmServiceMonitor(t *testing.T) {
	objs := render(t, "metrics.serviceMonitor.enabled=true")
	sms := byKind(objs, "ServiceMonitor")
	if len(sms) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(sms))
	}
	if got := str(sms[0], "spec", "endpoints", 0, "path"); got != "/api/v1/metrics" {
		t.Errorf("scrape path %q", got)
	}
	// A ServiceMonitor selects Services by their labels: exactly the
	// registry's Service, whose endpoints are the registry pods.
	var selected []string
	for _, s := range byKind(objs, "Service") {
		if labelsMatch(get(sms[0], "spec", "selector", "matchLabels"), get(s, "metadata", "labels")) {
			selected = append(selected, s.name())
		}
	}
	if len(selected) != 1 || selected[0] != "reg-extension-registry" {
		t.Errorf("the ServiceMonitor selects the Services %v, want [reg-extension-registry]", selected)
	}
	objs = render(t, "metrics.serviceMonitor.enabled=true,storage.type=persistent,redis.enabled=true")
	sms = byKind(objs, "ServiceMonitor")
	selected = nil
	for _, s := range byKind(objs, "Service") {
		if labelsMatch(get(sms[0], "spec", "selector", "matchLabels"), get(s, "metadata", "labels")) {
			selected = append(selected, s.name())
		}
	}
	if len(selected) != 1 {
		t.Errorf("with the headless Service and Redis, the ServiceMonitor selects %v, want one Service", selected)
	}
}
