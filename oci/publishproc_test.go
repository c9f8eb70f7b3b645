package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	registry "github.com/provisioning-platform/extension-registry"
)

// publishChildEnv makes the test binary a publish process (see TestMain).
const publishChildEnv = "EXTREG_TEST_PUBLISH_CHILD"

// publishChild publishes one version into a layout store, as
// `extension-registry publish` does, starting at a given instant so that
// the processes of the test collide. It returns the exit code.
func publishChild() int {
	root, version, archive := os.Getenv("CHILD_ROOT"), os.Getenv("CHILD_VERSION"), os.Getenv("CHILD_ARCHIVE")
	startAt, _ := strconv.ParseInt(os.Getenv("CHILD_START_AT"), 10, 64)
	b, err := NewLayout(LayoutOptions{Root: root})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	time.Sleep(time.Until(time.Unix(0, startAt)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := b.Publish(ctx, Artifact{Path: archive, Type: registry.Taskserv, Name: "k8s", Version: version}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestConcurrentPublishProcesses runs several publish processes (this test
// binary re-executed) of one name with different versions into one data
// dir at the same instant: every version must land, and index.json must
// stay valid JSON.
func TestConcurrentPublishProcesses(t *testing.T) {
	const n = 6
	root, dir := t.TempDir(), t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	startAt := time.Now().Add(500 * time.Millisecond).UnixNano()
	want := map[string]string{} // version → checksum
	cmds := make([]*exec.Cmd, n)
	outs := make([][]byte, n)
	errs := make(chan error, n)
	for i := range n {
		version := fmt.Sprintf("1.%d.0", i)
		archive := mustTarGz(t, dir, version+".tar.gz", map[string]string{"VERSION": version})
		want[version], _ = fileSum(t, archive)
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), publishChildEnv+"=1", "CHILD_ROOT="+root, "CHILD_VERSION="+version,
			"CHILD_ARCHIVE="+archive, "CHILD_START_AT="+strconv.FormatInt(startAt, 10))
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		go func() {
			out, err := cmd.CombinedOutput()
			outs[i] = out
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a publish process failed: %v", err)
		}
	}
	for i, out := range outs {
		if len(out) > 0 {
			t.Logf("process %d: %s", i, out)
		}
	}

	index, err := os.ReadFile(filepath.Join(root, DefaultNamespace, "k8s", ocispec.ImageIndexFile))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(index, &idx); err != nil {
		t.Fatalf("index.json is corrupt after concurrent publishes: %v\n%s", err, index)
	}
	vs, err := mustLayout(t, root).Versions(testContext(t), registry.Taskserv, "k8s")
	if err != nil {
		t.Fatalf("Versions: %v", err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Version)
		if v.Checksum != want[v.Version] {
			t.Errorf("version %s: checksum %s, want %s", v.Version, v.Checksum, want[v.Version])
		}
	}
	slices.Sort(got)
	if len(got) != n {
		t.Errorf("%d of %d versions landed: %v", len(got), n, got)
	}
}

// TestLockFileNeverCollides: the lock of repository "aws" cannot stand in
// the way of a repository named "aws.lock".
func TestLockFileNeverCollides(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	b := mustLayout(t, root)
	for _, name := range []string{"aws", "aws.lock"} {
		file := mustTarGz(t, dir, name+".tar.gz", map[string]string{"n": name})
		mustPublish(t, b, Artifact{Path: file, Type: registry.Provider, Name: name, Version: "1.0.0"})
	}
	exts, err := b.List(testContext(t))
	if err != nil || len(exts) != 2 {
		t.Fatalf("List = %v, %v; want aws and aws.lock", exts, err)
	}
}
