package redisindex

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
)

// wireVersion adds what registry.Version does not encode (its ref and
// pre-release mark), so that every replica serves exactly what the one
// that read the backend serves.
type wireVersion struct {
	registry.Version
	Ref        string `json:"ref,omitempty"`
	Prerelease bool   `json:"prerelease,omitempty"`
}

type wireEntry struct {
	Extension registry.Extension `json:"extension"`
	Versions  []wireVersion      `json:"versions"`
}

type wireSnapshot struct {
	Source  registry.Source `json:"source"`
	Entries []wireEntry     `json:"entries"`
}

// encode returns the stored form of snap's entries and their ETag (the
// first 128 bits of its SHA-256, hex). The read time is stored beside it,
// so that a read that found the same entries keeps the ETag.
func encode(snap *catalog.Snapshot) (data []byte, etag string, err error) {
	w := wireSnapshot{Source: snap.Source, Entries: make([]wireEntry, len(snap.Entries))}
	for i, e := range snap.Entries {
		we := wireEntry{Extension: e.Extension, Versions: make([]wireVersion, len(e.Versions))}
		for j, v := range e.Versions {
			ref := v.Ref
			if j < len(e.Refs) && e.Refs[j] != "" {
				ref = e.Refs[j]
			}
			we.Versions[j] = wireVersion{Version: v, Ref: ref, Prerelease: v.Prerelease}
		}
		w.Entries[i] = we
	}
	data, err = json.Marshal(w)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:16]), nil
}

// decode reads what encode wrote.
func decode(src registry.Source, data []byte) (*catalog.Snapshot, error) {
	var w wireSnapshot
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	if w.Source != src {
		return nil, fmt.Errorf("holds source %q", w.Source)
	}
	snap := &catalog.Snapshot{Source: src, Entries: make([]catalog.Entry, len(w.Entries))}
	for i, we := range w.Entries {
		e := catalog.Entry{Extension: we.Extension, Versions: make([]registry.Version, len(we.Versions)), Refs: make([]string, len(we.Versions))}
		for j, wv := range we.Versions {
			v := wv.Version
			v.Ref, v.Prerelease = wv.Ref, wv.Prerelease
			e.Versions[j], e.Refs[j] = v, wv.Ref
		}
		snap.Entries[i] = e
	}
	return snap, nil
}
