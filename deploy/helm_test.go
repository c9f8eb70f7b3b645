// Package deploy_test checks the Helm chart under helm/extension-registry
// with the real helm binary (EXTREG_TEST_HELM, installed by
// scripts/install-tools.sh): helm lint, and helm template rendered with
// several sets of values, parsed and checked for what a cluster would run.
package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

const chart = "helm/extension-registry"

// helm runs the helm binary with a private HOME and returns its output.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := testserver.Tool(t, "EXTREG_TEST_HELM")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"), "HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data")}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil {
		return out.String() + stderr.String(), err
	}
	return out.String(), nil
}

// object is one rendered Kubernetes object, kept as a generic tree.
type object map[string]any

func (o object) kind() string { return str(o, "kind") }
func (o object) name() string { return str(o, "metadata", "name") }

// get walks a path of map keys and list indexes (ints) through a tree.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m := asMap(v)
			if m == nil {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// asMap returns a mapping of the tree (the decoder gives nested mappings
// the type of the outer one), or nil.
func asMap(v any) map[string]any {
	switch m := v.(type) {
	case map[string]any:
		return m
	case object:
		return m
	}
	return nil
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

// render runs helm template with the values and parses every object.
func render(t *testing.T, set string) []object {
	t.Helper()
	args := []string{"template", "reg", chart, "--namespace", "ns"}
	if set != "" {
		args = append(args, "--set", set)
	}
	out, err := helm(t, args...)
	if err != nil {
		t.Fatalf("helm template --set %q: %v\n%s", set, err, out)
	}
	var objs []object
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, out)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

func byKind(objs []object, kind string) []object {
	var out []object
	for _, o := range objs {
		if o.kind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func TestHelmLint(t *testing.T) {
	for _, set := range []string{"", "replicaCount=3,redis.enabled=true",
		"replicaCount=2,storage.type=persistent,metrics.serviceMonitor.enabled=true,secrets.giteaToken=x"} {
		args := []string{"lint", "--strict", chart}
		if set != "" {
			args = append(args, "--set", set)
		}
		out, err := helm(t, args...)
		if err != nil || !strings.Contains(out, "0 chart(s) failed") {
			t.Errorf("helm lint --set %q: %v\n%s", set, err, out)
		}
		if strings.Contains(out, "[WARNING]") || strings.Contains(out, "[ERROR]") {
			t.Errorf("helm lint --set %q is not clean:\n%s", set, out)
		}
	}
}

func TestHelmRefusesBadValues(t *testing.T) {
	for set, want := range map[string]string{
		"replicaCount=0":                        "replicaCount",
		"storage.type=shared":                   "storage",
		"blobCache.maxSize=10gigs":              "maxSize",
		"secrets.existingSecretKeys={gitea-pw}": "existingSecretKeys",
	} {
		out, err := helm(t, "template", "reg", chart, "--set", set)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("helm template --set %s: %v, want a refusal naming %s\n%s", set, err, want, out)
		}
	}
}
