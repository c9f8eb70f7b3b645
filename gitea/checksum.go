package gitea

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
)

// maxChecksumFile bounds how much of a checksum asset is read.
const maxChecksumFile = 1 << 20

// checksum returns "sha256:<hex>" for the archive of rel, read from its
// checksum assets (once: the answer is kept, see cache.go), or "" when none
// gives one. A checksum file that cannot be read is logged and skipped:
// the version stays usable, and the file is tried again at the next call.
func (b *Backend) checksum(ctx context.Context, r repository, rel release) string {
	if rel.archive == nil {
		return ""
	}
	if sum, ok := b.cache.checksum(r, rel); ok {
		return sum
	}
	failed := false
	for _, a := range rel.sums {
		resp, err := b.get(ctx, b.hc, b.assetURL(r, rel.tag, a.Name), fmt.Sprintf("asset %s of %s/%s %s", a.Name, r.owner, r.name, rel.tag))
		if err != nil {
			failed = true
			if ctx.Err() == nil {
				b.log.Warn("Gitea checksum asset unreadable", "repository", r.owner+"/"+r.name, "tag", rel.tag, "asset", a.Name, "error", err)
			}
			continue
		}
		sum, err := parseChecksum(io.LimitReader(resp.Body, maxChecksumFile), rel.archive.Name, strings.EqualFold(a.Name, rel.archive.Name+".sha256"))
		resp.Body.Close()
		if err != nil {
			failed = true
			if ctx.Err() == nil {
				b.log.Warn("Gitea checksum asset unreadable", "repository", r.owner+"/"+r.name, "tag", rel.tag, "asset", a.Name, "error", err)
			}
			continue
		}
		if sum != "" {
			b.cache.storeChecksum(r, rel, "sha256:"+sum)
			return "sha256:" + sum
		}
		b.log.Warn("Gitea checksum asset names no checksum for the archive", "repository", r.owner+"/"+r.name, "tag", rel.tag, "asset", a.Name, "archive", rel.archive.Name)
	}
	if !failed {
		b.cache.storeChecksum(r, rel, "")
	}
	return ""
}

// checksums returns the checksum of every release of rels, reading at
// most the backend's concurrency bound of checksum files at once. It
// fails only when ctx ends first: a checksum cut short would leave a
// version without it.
func (b *Backend) checksums(ctx context.Context, r repository, rels []release) ([]string, error) {
	out := make([]string, len(rels))
	slots := make(chan struct{}, b.limit)
	var wg sync.WaitGroup
	for i, rel := range rels {
		if rel.archive == nil {
			continue // Gitea's source archive: no checksum (and no asset ID to key one by)
		}
		if sum, ok := b.cache.checksum(r, rel); ok {
			out[i] = sum
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			out[i] = b.checksum(ctx, r, rel)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, b.statusError(0, err, "the releases of Gitea repository %s/%s", r.owner, r.name)
	}
	return out, nil
}

// parseChecksum reads a sha256sum-style file: lines "<hex>  <file>" (or
// "<hex> *<file>"). It returns the hex digest given for file; a single-file
// form (an {asset}.sha256) may hold the bare digest, or a line for any
// name. It fails only when the file cannot be read to its end.
func parseChecksum(r io.Reader, file string, single bool) (string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxChecksumFile)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !isSHA256(fields[0]) {
			continue
		}
		if len(fields) == 1 {
			if single {
				return strings.ToLower(fields[0]), nil
			}
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(fields[1], "*"), "./")
		if single || name == file || path.Base(name) == file {
			return strings.ToLower(fields[0]), nil
		}
	}
	return "", sc.Err()
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
