package oci

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// packTime is the modification time of every entry PackDir writes.
var packTime = time.Unix(0, 0).UTC()

// PackDir writes a reproducible .tar.gz of the directory dir to w: the same
// file names, modes and contents give the same bytes, whatever the
// timestamps or the order the file system lists entries in. Entries are
// relative paths in sorted order (a directory's entry before its contents,
// the directory itself not included), with a fixed modification time, uid
// and gid 0, no user or group names, and permission bits only. Symbolic
// links are stored as links, never followed (except dir itself); other
// special files are an error. The gzip header carries no name and no time,
// and the compression level is fixed.
func PackDir(w io.Writer, dir string) error {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	if st, err := os.Stat(root); err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	} else if !st.IsDir() {
		return fmt.Errorf("pack %s: not a directory", dir)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Header = gzip.Header{OS: 255} // unknown OS, no name, no time
	tw := tar.NewWriter(zw)
	// WalkDir reads each directory's entries sorted by name, so the order
	// never depends on the file system.
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return writeEntry(tw, p, filepath.ToSlash(rel), info)
	})
	if err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	return nil
}

// writeEntry writes one file, directory or symbolic link.
func writeEntry(tw *tar.Writer, path, name string, info fs.FileInfo) error {
	hdr := &tar.Header{
		Name:    name,
		Mode:    int64(info.Mode().Perm()),
		ModTime: packTime,
	}
	mode := info.Mode()
	switch {
	case mode.IsDir():
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case mode.IsRegular():
		hdr.Typeflag = tar.TypeReg
		hdr.Size = info.Size()
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = filepath.ToSlash(target)
	default:
		return fmt.Errorf("%s: unsupported file type %s", name, mode.Type())
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(tw, f)
	if err != nil {
		return err
	}
	if n != hdr.Size {
		return fmt.Errorf("%s: changed while being packed", name)
	}
	return nil
}
