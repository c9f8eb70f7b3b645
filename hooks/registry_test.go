package hooks

import (
	"net/http"
	"strings"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

const (
	manifestDigest = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
	layerDigest    = "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b"
)

// registryEvent is one event in the shape distribution v3 sends
// (notifications.Event: id, timestamp, action, target, request, actor,
// source), for a manifest push when tag is set and mediaType a manifest's.
func registryEvent(action, repo, mediaType, digest, tag, kind string) string {
	target := `"repository": "` + repo + `"`
	if digest != "" {
		target = `"digest": "` + digest + `", ` + target
	}
	if mediaType != "" {
		target = `"mediaType": "` + mediaType + `", "size": 708, "length": 708, ` + target +
			`, "url": "http://registry.local:5000/v2/` + repo + `/` + kind + `/` + digest + `"`
	}
	if tag != "" {
		target += `, "tag": "` + tag + `"`
	}
	return `{
      "id": "7c2e6c3b-2d4f-4b1e-9a34-0c2c3f6b9f00",
      "timestamp": "2026-12-01T22:00:00.123456789Z",
      "action": "` + action + `",
      "target": {` + target + `},
      "request": {"id": "a1b2", "addr": "127.0.0.1:40000", "host": "registry.local:5000", "method": "PUT", "useragent": "oras/1.3.6"},
      "actor": {},
      "source": {"addr": "registry-0:5000", "instanceID": "f0e1d2c3"}
   }`
}

func envelopeOf(events ...string) string {
	return `{"events": [` + strings.Join(events, ",") + `]}`
}

func bearer() []string {
	return []string{"Authorization", "Bearer " + registryToken}
}

func TestRegistryNotificationsRefreshWhatTheyName(t *testing.T) {
	f := tagFake{newFake()}
	srv := newServer(t, f, Options{})
	url := srv.URL + RegistryPath
	const ns = "provisioning-extensions/"
	for _, mediaType := range []string{"application/vnd.docker.distribution.events.v2+json", "application/vnd.docker.distribution.events.v1+json"} {
		body := envelopeOf(
			registryEvent("push", ns+"aws", "application/vnd.oci.image.layer.v1.tar+gzip", layerDigest, "", "blobs"),
			registryEvent("push", ns+"aws", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1.2.0", "manifests"),
			registryEvent("pull", ns+"k3s_taskserv", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1.0.0", "manifests"),
			registryEvent("mount", ns+"aws", "application/vnd.oci.image.layer.v1.tar+gzip", layerDigest, "", "blobs"),
			registryEvent("push", "other-namespace/gcp", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1.0.0", "manifests"),
			registryEvent("delete", ns+"k3s_taskserv", "", "", "0.9.0", ""),
		)
		args := append(bearer(), "Content-Type", mediaType)
		status, answer := post(t, url, body, args...)
		if status != http.StatusAccepted || answer["queued"] != 2.0 || answer["ignored"] != 4.0 {
			t.Errorf("%s: %d %v, want 202, 2 queued, 4 ignored", mediaType, status, answer)
		}
		calls := f.waitCalls(t, 2)
		f.mu.Lock()
		f.calls = nil
		f.mu.Unlock()
		want := map[string]call{
			"aws": {registry.SourceOCI, "aws", "1.2.0", manifestDigest},
			"k3s": {registry.SourceOCI, "k3s", "", ""}, // a deletion: a plain re-read,
		}
		for _, c := range calls {
			if want[c.name] != c {
				t.Errorf("%s: refresh %+v, want %+v", mediaType, c, want[c.name])
			}
		}
	}
}

func TestRegistryIgnoredEnvelopesAre2xx(t *testing.T) {
	f := newFake()
	srv := newServer(t, f, Options{})
	url := srv.URL + RegistryPath
	const ns = "provisioning-extensions/"
	for name, body := range map[string]string{
		"no events": `{"events": []}`,
		"a pull":    envelopeOf(registryEvent("pull", ns+"aws", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1.2.0", "manifests")),
		"a blob":    envelopeOf(registryEvent("push", ns+"aws", "application/octet-stream", layerDigest, "", "blobs")),
		"unknown action": envelopeOf(strings.Replace(
			registryEvent("push", ns+"aws", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1.2.0", "manifests"), `"push"`, `"tag"`, 1)),
		"nested repository": envelopeOf(registryEvent("push", ns+"group/aws", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1.2.0", "manifests")),
		"extra fields":      `{"events": [], "future": {"x": 1}}`,
	} {
		status, answer := post(t, url, body, bearer()...)
		if status != http.StatusOK || answer["queued"] != 0.0 {
			t.Errorf("%s: %d %v, want 200 with nothing queued", name, status, answer)
		}
	}
	f.waitCalls(t, 0)
}

func TestRegistryRefusals(t *testing.T) {
	f := newFake()
	srv := newServer(t, f, Options{MaxBody: 2048})
	url := srv.URL + RegistryPath
	good := envelopeOf(registryEvent("push", "provisioning-extensions/aws", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1.2.0", "manifests"))
	for name, auth := range map[string]string{
		"no token":     "",
		"wrong token":  "Bearer not-the-token",
		"basic auth":   "Basic " + registryToken,
		"token only":   registryToken,
		"token prefix": "Bearer " + registryToken[:5],
	} {
		var headers []string
		if auth != "" {
			headers = []string{"Authorization", auth}
		}
		status, answer := post(t, url, good, headers...)
		checkError(t, name, status, answer, http.StatusUnauthorized, "auth_error")
	}
	for name, body := range map[string]string{
		"malformed":       `{"events": [`,
		"not an envelope": `{"hello": "world"}`,
		"events not list": `{"events": {"action": "push"}}`,
		"empty":           ``,
	} {
		status, answer := post(t, url, body, bearer()...)
		checkError(t, name, status, answer, http.StatusBadRequest, "invalid_parameter")
	}
	big := envelopeOf(strings.Repeat(registryEvent("pull", "provisioning-extensions/aws", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1", "manifests")+",", 10) +
		registryEvent("pull", "provisioning-extensions/aws", "application/vnd.oci.image.manifest.v1+json", manifestDigest, "1", "manifests"))
	status, answer := post(t, url, big, bearer()...)
	checkError(t, "oversized", status, answer, http.StatusRequestEntityTooLarge, "invalid_parameter")
	f.waitCalls(t, 0)
}
