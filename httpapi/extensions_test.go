package httpapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/oci"
)

// TestExtensionsAPI runs the extension endpoints of the API document
// against the registry serving each OCI flavour: the remote registry and the
// embedded store.
func TestExtensionsAPI(t *testing.T) {
	for _, fl := range flavours() {
		t.Run(fl.name, func(t *testing.T) {
			cfg := fl.config(t)
			fx := publishFixture(t, publisher(t, cfg))
			runExtensionsAPI(t, startServer(t, cfg), fx)
		})
	}
}

func runExtensionsAPI(t *testing.T, s *server, fx fixture) {
	all := []string{"provider/aws@2.0.0", "cluster/buildkit@0.12.0", "taskserv/k3s@1.27.5", "taskserv/kubernetes@1.10.0", "provider/upcloud@2.1.3"}

	t.Run("list: every extension by name, with X-Total-Count", func(t *testing.T) {
		exts, r := s.objects(t, "/api/v1/extensions")
		if got := names(exts); !reflect.DeepEqual(got, all) {
			t.Errorf("list = %v, want %v", got, all)
		}
		if got := r.header.Get("X-Total-Count"); got != "5" {
			t.Errorf("X-Total-Count = %q, want 5", got)
		}
	})

	t.Run("list: JSON fields of the Extension model, empty optional ones omitted", func(t *testing.T) {
		exts, _ := s.objects(t, "/api/v1/extensions")
		byName := map[string]map[string]any{}
		for _, e := range exts {
			byName[e["name"].(string)] = e
		}
		aws := fx.byVersion["provider/aws@2.0.0"]
		want := map[string]any{
			"name":         "aws",
			"type":         "provider",
			"version":      "2.0.0",
			"description":  "AWS provider for provisioning infrastructure",
			"author":       "provisioning-team",
			"repository":   "https://gitea.example.com/org/aws_prov",
			"source":       "oci",
			"published_at": "2025-10-06T12:00:00Z",
			"download_url": s.URL + "/api/v1/extensions/provider/aws/2.0.0",
			"checksum":     aws.checksum,
			"size":         float64(aws.size),
			"tags":         []any{"cloud", "aws", "infrastructure"},
		}
		if !reflect.DeepEqual(byName["aws"], want) {
			t.Errorf("aws =\n%v\nwant\n%v", byName["aws"], want)
		}
		// upcloud has no author, repository or tags: the keys are absent.
		wantKeys := []string{"checksum", "description", "download_url", "name", "published_at", "size", "source", "type", "version"}
		if got := keysOf(byName["upcloud"]); !reflect.DeepEqual(got, wantKeys) {
			t.Errorf("upcloud keys = %v, want %v", got, wantKeys)
		}
	})

	t.Run("list: filters and paging", func(t *testing.T) {
		for _, c := range []struct {
			query string
			want  []string
			total int
		}{
			{"type=provider", []string{"provider/aws@2.0.0", "provider/upcloud@2.1.3"}, 2},
			{"type=taskserv", []string{"taskserv/k3s@1.27.5", "taskserv/kubernetes@1.10.0"}, 2},
			{"type=cluster", []string{"cluster/buildkit@0.12.0"}, 1},
			{"source=oci", all, 5},
			{"source=gitea", []string{}, 0},
			{"type=provider&source=oci", []string{"provider/aws@2.0.0", "provider/upcloud@2.1.3"}, 2},
			{"type=taskserv&source=gitea", []string{}, 0},
			{"type=&source=", all, 5}, // given but empty counts as absent
			{"limit=2", all[:2], 5},
			{"limit=2&offset=0", all[:2], 5},
			{"limit=2&offset=2", all[2:4], 5},
			{"limit=2&offset=4", all[4:], 5},
			{"offset=3", all[3:], 5},
			{"offset=5", []string{}, 5},
			{"offset=1000", []string{}, 5},
			{"limit=1000", all, 5},
			{"limit=5000", all, 5}, // above the maximum: clamped, not refused
			{"type=taskserv&limit=1&offset=1", []string{"taskserv/kubernetes@1.10.0"}, 2},
		} {
			exts, r := s.objects(t, "/api/v1/extensions?"+c.query)
			if got := names(exts); !reflect.DeepEqual(got, c.want) {
				t.Errorf("?%s = %v, want %v", c.query, got, c.want)
			}
			if got := r.header.Get("X-Total-Count"); got != strconv.Itoa(c.total) {
				t.Errorf("?%s: X-Total-Count = %q, want %d", c.query, got, c.total)
			}
		}
	})

	t.Run("get: the metadata of the current version", func(t *testing.T) {
		var got map[string]any
		s.getJSON(t, "/api/v1/extensions/taskserv/kubernetes", &got)
		cur := fx.byVersion["taskserv/kubernetes@1.10.0"]
		want := map[string]any{
			"name":         "kubernetes",
			"type":         "taskserv",
			"version":      "1.10.0", // semantic order: 1.10.0 > 1.9.0 > 1.2.0, though 1.2.0 is the newest
			"description":  "Kubernetes container orchestration platform",
			"author":       "provisioning-team",
			"source":       "oci",
			"published_at": "2025-09-01T01:00:00Z",
			"download_url": s.URL + "/api/v1/extensions/taskserv/kubernetes/1.10.0",
			"checksum":     cur.checksum,
			"size":         float64(cur.size),
			"tags":         []any{"kubernetes", "containers"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("kubernetes =\n%v\nwant\n%v", got, want)
		}
		// Get equals the list entry.
		exts, _ := s.objects(t, "/api/v1/extensions?type=taskserv")
		if len(exts) != 2 || !reflect.DeepEqual(exts[1], got) {
			t.Errorf("list entry %v differs from get %v", exts, got)
		}
	})

	t.Run("versions: newest first by semantic version", func(t *testing.T) {
		vs, _ := s.objects(t, "/api/v1/extensions/taskserv/kubernetes/versions")
		var got []string
		for _, v := range vs {
			got = append(got, v["version"].(string))
		}
		if want := []string{"1.10.0", "1.9.0", "1.2.0"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("versions = %v, want %v", got, want)
		}
		for _, v := range vs {
			ver := v["version"].(string)
			a := fx.byVersion["taskserv/kubernetes@"+ver]
			want := map[string]any{
				"version":      ver,
				"published_at": a.created.UTC().Format("2006-01-02T15:04:05Z"),
				"download_url": s.URL + "/api/v1/extensions/taskserv/kubernetes/" + ver,
				"checksum":     a.checksum,
				"size":         float64(a.size),
			}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("version %s =\n%v\nwant\n%v", ver, v, want)
			}
		}
	})

	t.Run("download: every version, with or without a leading v", func(t *testing.T) {
		vs, _ := s.objects(t, "/api/v1/extensions/provider/aws/versions")
		if len(vs) != 2 {
			t.Fatalf("aws versions = %v", vs)
		}
		for _, v := range vs {
			ver := v["version"].(string)
			want := fx.byVersion["provider/aws@"+ver]
			for _, path := range []string{"/api/v1/extensions/provider/aws/" + ver, "/api/v1/extensions/provider/aws/v" + ver} {
				r := s.get(t, path)
				checkDownload(t, path, r, want.file, v["checksum"].(string), int64(v["size"].(float64)))
				if bytesSum(r.body) != want.checksum {
					t.Errorf("%s: downloaded %s, published %s", path, bytesSum(r.body), want.checksum)
				}
			}
		}
		// A packed folder: the checksum the API gives is the downloaded bytes'.
		var bk map[string]any
		s.getJSON(t, "/api/v1/extensions/cluster/buildkit", &bk)
		r := s.get(t, "/api/v1/extensions/cluster/buildkit/0.12.0")
		checkDownload(t, "buildkit", r, "buildkit_cluster.tar.gz", bk["checksum"].(string), int64(bk["size"].(float64)))
	})

	t.Run("download: HEAD gives the headers only", func(t *testing.T) {
		r := s.do(t, http.MethodHead, "/api/v1/extensions/provider/aws/1.1.0")
		a := fx.byVersion["provider/aws@1.1.0"]
		if r.status != http.StatusOK || len(r.body) != 0 || r.header.Get("Content-Length") != strconv.FormatInt(a.size, 10) ||
			r.header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("HEAD: %d %v, %d body bytes", r.status, r.header, len(r.body))
		}
	})

	t.Run("download: curl -OJ saves the file under its name", func(t *testing.T) {
		a := fx.byVersion["provider/aws@1.1.0"]
		curlOJ(t, s.URL+"/api/v1/extensions/provider/aws/1.1.0", a.file, a.checksum)
	})

	t.Run("search: name, description and tags, case-insensitive, best match first", func(t *testing.T) {
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"q=kubernetes", []string{"taskserv/kubernetes@1.10.0", "taskserv/k3s@1.27.5"}},
			{"q=KUBERNETES&type=taskserv", []string{"taskserv/kubernetes@1.10.0", "taskserv/k3s@1.27.5"}},
			{"q=kubernetes&type=provider", []string{}},
			{"q=kubernetes&limit=1", []string{"taskserv/kubernetes@1.10.0"}},
			{"q=kubernetes&limit=500", []string{"taskserv/kubernetes@1.10.0", "taskserv/k3s@1.27.5"}},
			{"q=Cloud", []string{"provider/upcloud@2.1.3", "provider/aws@2.0.0"}}, // name before tag
			{"q=european", []string{"provider/upcloud@2.1.3"}},                    // description
			{"q=infrastructure&type=provider", []string{"provider/aws@2.0.0", "provider/upcloud@2.1.3"}},
			{"q=nothing-matches", []string{}},
		} {
			exts, r := s.objects(t, "/api/v1/extensions/search?"+c.query)
			if got := names(exts); !reflect.DeepEqual(got, c.want) {
				t.Errorf("search ?%s = %v, want %v", c.query, got, c.want)
			}
			if r.header.Get("X-Total-Count") == "" {
				t.Errorf("search ?%s: no X-Total-Count", c.query)
			}
		}
		exts, _ := s.objects(t, "/api/v1/extensions/search?q=aws")
		var get map[string]any
		s.getJSON(t, "/api/v1/extensions/provider/aws", &get)
		if len(exts) != 1 || !reflect.DeepEqual(exts[0], get) {
			t.Errorf("search result %v differs from the extension %v", exts, get)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			status       int
			typ, message string
			exact        bool
		}{
			// The API document's own examples, to the letter.
			{"GET", "/api/v1/extensions/provider/nonexistent", 404, "not_found", "Extension provider/nonexistent not found", true},
			{"GET", "/api/v1/extensions/provider/aws/1.2.0", 404, "not_found", "Extension provider/aws version 1.2.0 not found", true},
			{"GET", "/api/v1/extensions/provider/aws/v1.2.0", 404, "not_found", "Extension provider/aws version 1.2.0 not found", true},
			{"HEAD", "/api/v1/extensions/provider/aws/1.2.0", 404, "", "", false},
			{"GET", "/api/v1/extensions/provider/nonexistent/versions", 404, "not_found", "Extension provider/nonexistent not found", true},
			{"GET", "/api/v1/extensions/provider/nonexistent/1.0.0", 404, "not_found", "Extension provider/nonexistent version 1.0.0 not found", true},
			{"GET", "/api/v1/extensions/taskserv/aws", 404, "not_found", "Extension taskserv/aws not found", true},
			// Bad type or version.
			{"GET", "/api/v1/extensions/plugin/aws", 400, "invalid_type", `"plugin"`, false},
			{"GET", "/api/v1/extensions/plugin/aws/versions", 400, "invalid_type", `"plugin"`, false},
			{"GET", "/api/v1/extensions/plugin/aws/1.0.0", 400, "invalid_type", `"plugin"`, false},
			{"GET", "/api/v1/extensions?type=plugin", 400, "invalid_type", "type", false},
			{"GET", "/api/v1/extensions/search?q=aws&type=plugin", 400, "invalid_type", "type", false},
			{"GET", "/api/v1/extensions/provider/aws/latest", 400, "invalid_version", `"latest"`, false},
			{"GET", "/api/v1/extensions/provider/aws/1.2", 400, "invalid_version", `"1.2"`, false},
			// Bad parameters: the message names the parameter.
			{"GET", "/api/v1/extensions?limit=abc", 400, "invalid_parameter", "limit", false},
			{"GET", "/api/v1/extensions?limit=0", 400, "invalid_parameter", "limit", false},
			{"GET", "/api/v1/extensions?limit=-5", 400, "invalid_parameter", "limit", false},
			{"GET", "/api/v1/extensions?limit=1.5", 400, "invalid_parameter", "limit", false},
			{"GET", "/api/v1/extensions?offset=-1", 400, "invalid_parameter", "offset", false},
			{"GET", "/api/v1/extensions?offset=abc", 400, "invalid_parameter", "offset", false},
			{"GET", "/api/v1/extensions?limit=99999999999999999999.5", 400, "invalid_parameter", "limit", false},
			{"GET", "/api/v1/extensions?offset=-99999999999999999999", 400, "invalid_parameter", "offset", false},
			{"GET", "/api/v1/extensions?offset=99999999999999999999x", 400, "invalid_parameter", "offset", false},
			{"GET", "/api/v1/extensions?source=s3", 400, "invalid_parameter", "source", false},
			{"GET", "/api/v1/extensions/search", 400, "invalid_parameter", "parameter q", false},
			{"GET", "/api/v1/extensions/search?q=", 400, "invalid_parameter", "parameter q", false},
			{"GET", "/api/v1/extensions/search?q=%20%20", 400, "invalid_parameter", "parameter q", false},
			{"GET", "/api/v1/extensions/search?q=aws&limit=abc", 400, "invalid_parameter", "limit", false},
			{"GET", "/api/v1/extensions/search?q=aws&limit=0", 400, "invalid_parameter", "limit", false},
			// Unknown routes and methods.
			{"GET", "/api/v1/nothing", 404, "not_found", "/api/v1/nothing", false},
			{"GET", "/api/v1/extensions/provider", 404, "not_found", "not found", false},
			{"GET", "/api/v1/extensions/provider/aws/1.1.0/extra", 404, "not_found", "not found", false},
			{"GET", "/api/v2/extensions", 404, "not_found", "not found", false},
			{"GET", "/nothing-here", 404, "not_found", "not found", false}, // "/" is the web home page
			{"POST", "/api/v1/extensions", 405, "method_not_allowed", "POST", false},
			{"DELETE", "/api/v1/extensions/provider/aws", 405, "method_not_allowed", "DELETE", false},
			{"PUT", "/api/v1/extensions/provider/aws/1.1.0", 405, "method_not_allowed", "PUT", false},
			{"POST", "/api/v1/extensions/search?q=aws", 405, "method_not_allowed", "POST", false},
			{"POST", "/api/v1/health", 405, "method_not_allowed", "POST", false},
			{"PATCH", "/api/v1/cache/stats", 405, "method_not_allowed", "PATCH", false},
		} {
			r := s.do(t, c.method, c.path)
			what := c.method + " " + c.path
			if c.method == http.MethodHead {
				if r.status != c.status || len(r.body) != 0 {
					t.Errorf("%s: %d with %d body bytes, want %d and no body", what, r.status, len(r.body), c.status)
				}
				continue
			}
			checkError(t, what, r, c.status, c.typ, c.message, c.exact)
			if c.status == http.StatusMethodNotAllowed && r.header.Get("Allow") != "GET, HEAD, OPTIONS" {
				t.Errorf("%s: Allow %q, want \"GET, HEAD\"", what, r.header.Get("Allow"))
			}
		}
	})
}

// TestDownloadURL checks download_url: built from the request's Host when
// no public URL is configured, from public_url when one is.
func TestDownloadURL(t *testing.T) {
	cfg := baseConfig(t)
	b := publisher(t, cfg)
	mustPublish(t, b, oci.Artifact{Path: mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"}), Type: registry.Provider, Name: "aws", Version: "1.2.0"})

	s := startServer(t, cfg)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/extensions/provider/aws", nil)
	req.Host = "registry.internal:8082"
	r := doRequest(t, req)
	var e map[string]any
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	if want := "http://registry.internal:8082/api/v1/extensions/provider/aws/1.2.0"; e["download_url"] != want {
		t.Errorf("download_url from the Host header = %v, want %s", e["download_url"], want)
	}
	// Another client's Host never leaks into the (cached) answers of others.
	s.getJSON(t, "/api/v1/extensions/provider/aws", &e)
	if want := s.URL + "/api/v1/extensions/provider/aws/1.2.0"; e["download_url"] != want {
		t.Errorf("download_url after another Host = %v, want %s", e["download_url"], want)
	}

	cfg.PublicURL = "https://extensions.example.com/registry/"
	s = startServer(t, cfg)
	for _, path := range []string{"/api/v1/extensions/provider/aws", "/api/v1/extensions"} {
		var got any
		s.getJSON(t, path, &got)
		if list, ok := got.([]any); ok {
			got = list[0]
		}
		if want := "https://extensions.example.com/registry/api/v1/extensions/provider/aws/1.2.0"; got.(map[string]any)["download_url"] != want {
			t.Errorf("%s: download_url with public_url = %v, want %s", path, got.(map[string]any)["download_url"], want)
		}
	}
	var vs []map[string]any
	s.getJSON(t, "/api/v1/extensions/provider/aws/versions", &vs)
	if len(vs) != 1 || !strings.HasPrefix(vs[0]["download_url"].(string), "https://extensions.example.com/registry/api/v1/") {
		t.Errorf("versions with public_url: %v", vs)
	}
}
