// Package examples holds the example extensions `serve --demo` publishes,
// built into the binary so that the demo works from any directory.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FS holds the example extensions: {type}/{name}/extension.yaml and
// {type}/{name}/{version}/… for every type.
//
//go:embed all:provider all:taskserv all:cluster
var FS embed.FS

// Extract writes the examples into dir (which must exist) with the modes
// git gives them — folders 0755, shell scripts 0755, other files 0644 —
// since an embedded file keeps no mode; packing them then gives the same
// archives as packing the checked-out folder.
func Extract(dir string) error {
	return fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if d.IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("extract examples: %w", err)
			}
			return os.Chmod(dst, 0o755)
		}
		b, err := FS.ReadFile(name)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(dst, b, mode); err != nil {
			return fmt.Errorf("extract examples: %w", err)
		}
		return os.Chmod(dst, mode) // whatever the umask
	})
}
