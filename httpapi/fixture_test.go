package httpapi_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/oci"
)

// fixture is the set of extensions most tests publish, and what the API
// should say about each published version.
type fixture struct {
	// byVersion is keyed "type/name@version".
	byVersion map[string]archive
}

// archive is one published version's archive.
type archive struct {
	checksum string
	size     int64
	file     string // the name a download is saved under
	created  time.Time
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// publishFixture publishes, through the code `extension-registry publish`
// uses:
//
//   - provider aws 1.1.0 and 2.0.0, every optional field set;
//   - provider upcloud 2.1.3 without author, repository or tags;
//   - taskserv kubernetes 1.2.0, 1.9.0 and 1.10.0 (an order string sorting
//     gets wrong);
//   - taskserv k3s 1.27.5, whose description mentions Kubernetes;
//   - cluster buildkit 0.12.0, published from a folder.
func publishFixture(t *testing.T, b *oci.Backend) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{byVersion: map[string]archive{}}
	add := func(a oci.Artifact, fileName string) {
		t.Helper()
		if a.Path == "" {
			a.Path = mustTarGz(t, dir, fmt.Sprintf("%s-%s.tar.gz", a.Name, a.Version), map[string]string{
				"manifest.yaml": fmt.Sprintf("name: %s\ntype: %s\nversion: %s\n", a.Name, a.Type, a.Version),
			})
			fileName = filepath.Base(a.Path)
		}
		mustPublish(t, b, a)
		sum, size := "", int64(0)
		if fileName == filepath.Base(a.Path) {
			sum, size = fileSum(t, a.Path)
		}
		f.byVersion[string(a.Type)+"/"+a.Name+"@"+a.Version] = archive{sum, size, fileName, a.Created}
	}
	aws := func(v, created string) oci.Artifact {
		return oci.Artifact{
			Type: registry.Provider, Name: "aws", Version: v,
			Description: "AWS provider for provisioning infrastructure", Author: "provisioning-team",
			Repository: "https://gitea.example.com/org/aws_prov", Tags: []string{"cloud", "aws", "infrastructure"},
			Created: at(created),
		}
	}
	add(aws("1.1.0", "2025-08-01T09:00:00Z"), "")
	add(aws("2.0.0", "2025-10-06T12:00:00Z"), "")
	add(oci.Artifact{
		Type: registry.Provider, Name: "upcloud", Version: "2.1.3",
		Description: "UpCloud provider for European cloud infrastructure", Created: at("2025-10-05T10:30:00Z"),
	}, "")
	for i, v := range []string{"1.9.0", "1.10.0", "1.2.0"} {
		add(oci.Artifact{
			Type: registry.Taskserv, Name: "kubernetes", Version: v,
			Description: "Kubernetes container orchestration platform", Author: "provisioning-team",
			Tags: []string{"kubernetes", "containers"}, Created: at("2025-09-01T00:00:00Z").Add(time.Duration(i) * time.Hour),
		}, "")
	}
	add(oci.Artifact{
		Type: registry.Taskserv, Name: "k3s", Version: "1.27.5",
		Description: "Lightweight Kubernetes distribution", Author: "community", Created: at("2025-09-20T14:30:00Z"),
	}, "")

	// A folder, packed by publish: its checksum is read back from the API
	// and checked against the downloaded bytes instead.
	src := filepath.Join(dir, "buildkit-src")
	mustWrite(t, filepath.Join(src, "manifest.yaml"), []byte("name: buildkit\n"))
	mustWrite(t, filepath.Join(src, "kcl", "buildkit.k"), []byte("schema BuildKit:\n    replicas: int = 1\n"))
	add(oci.Artifact{
		Path: src, Type: registry.Cluster, Name: "buildkit", Version: "0.12.0",
		Description: "BuildKit cluster for container image builds", Created: at("2025-09-01T08:00:00Z"),
	}, "buildkit_cluster.tar.gz")
	return f
}
