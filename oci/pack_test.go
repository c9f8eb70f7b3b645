package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// packTree writes the same tree into dir, creating the files in the given
// order and stamping them with mtime.
func packTree(tb testing.TB, dir string, order []string, mtime time.Time) {
	tb.Helper()
	files := map[string]string{
		"kcl.mod":         "[package]\n",
		"nulib/mod.nu":    "export def main [] {}\n",
		"nulib/a/deep.nu": "# deep\n",
		"README.md":       "# readme\n",
	}
	for _, name := range order {
		p := filepath.Join(dir, filepath.FromSlash(name))
		mustWrite(tb, p, []byte(files[name]))
	}
	if err := os.Symlink("kcl.mod", filepath.Join(dir, "link.mod")); err != nil {
		tb.Fatal(err)
	}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.Mode()&os.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, mtime, mtime)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func mustPack(tb testing.TB, dir string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := PackDir(&buf, dir); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestPackDirReproducible checks that the bytes depend on names, modes and
// contents only.
func TestPackDirReproducible(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	packTree(t, a, []string{"kcl.mod", "nulib/mod.nu", "nulib/a/deep.nu", "README.md"}, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	packTree(t, b, []string{"README.md", "nulib/a/deep.nu", "nulib/mod.nu", "kcl.mod"}, time.Date(2024, 6, 7, 8, 9, 10, 0, time.UTC))
	packA, packB := mustPack(t, a), mustPack(t, b)
	if !bytes.Equal(packA, packB) {
		t.Fatal("two copies of one tree with other mtimes and creation order packed differently")
	}
	if !bytes.Equal(packA, mustPack(t, a)) {
		t.Fatal("packing twice gave different bytes")
	}

	t.Run("contents as expected", func(t *testing.T) {
		zr, err := gzip.NewReader(bytes.NewReader(packA))
		if err != nil {
			t.Fatal(err)
		}
		if zr.Name != "" || !zr.ModTime.IsZero() {
			t.Errorf("gzip header carries name %q, time %s", zr.Name, zr.ModTime)
		}
		tr := tar.NewReader(zr)
		var names []string
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, h.Name)
			if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(packTime) {
				t.Errorf("%s: owner %d:%d %q:%q mtime %s", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
			}
			if h.Name == "link.mod" && (h.Typeflag != tar.TypeSymlink || h.Linkname != "kcl.mod") {
				t.Errorf("link.mod: type %c link %q, want a symlink to kcl.mod", h.Typeflag, h.Linkname)
			}
		}
		want := []string{"README.md", "kcl.mod", "link.mod", "nulib/", "nulib/a/", "nulib/a/deep.nu", "nulib/mod.nu"}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("entries %v, want %v", names, want)
		}
	})

	t.Run("a mode change changes the bytes", func(t *testing.T) {
		if err := os.Chmod(filepath.Join(b, "kcl.mod"), 0o755); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(packA, mustPack(t, b)) {
			t.Error("a mode change did not change the archive")
		}
	})

	t.Run("a content change changes the bytes", func(t *testing.T) {
		mustWrite(t, filepath.Join(a, "README.md"), []byte("# other\n"))
		if bytes.Equal(packA, mustPack(t, a)) {
			t.Error("a content change did not change the archive")
		}
	})

	t.Run("not a directory", func(t *testing.T) {
		if err := PackDir(io.Discard, filepath.Join(a, "kcl.mod")); err == nil {
			t.Error("packing a file succeeded")
		}
		if err := PackDir(io.Discard, filepath.Join(a, "missing")); err == nil {
			t.Error("packing a missing directory succeeded")
		}
	})
}
