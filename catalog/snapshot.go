package catalog

import (
	"context"
	"sync"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// Snapshot is what one complete read of one source found: every extension
// it holds with all its versions. It is plain data that encodes to JSON
// and back without loss, so that an IndexStore shared by replicas (Redis)
// can hold it.
type Snapshot struct {
	// Source is the source that was read.
	Source registry.Source `json:"source"`
	// ReadAt is when the read that produced Entries finished. The
	// snapshot is served stale, after a failed read, until ReadAt plus
	// index.max_stale.
	ReadAt time.Time `json:"read_at"`
	// Entries are the extensions, in the order the backend listed them.
	Entries []Entry `json:"entries"`
}

// Entry is one extension of a Snapshot: its metadata (as of its current
// version) and its versions, newest first.
type Entry struct {
	Extension registry.Extension `json:"extension"`
	Versions  []registry.Version `json:"versions"`
	// Refs holds the backend's own name of each version (Versions[i].Ref,
	// which registry.Version does not encode), so that a snapshot read
	// back from JSON can still open downloads.
	Refs []string `json:"refs"`
	// FileNames holds the file name of each version's archive
	// (Versions[i].FileName, not encoded either), so that a download from
	// a snapshot read back is still offered under its own name.
	FileNames []string `json:"file_names,omitempty"`
}

// newEntry returns the Entry of ext and its versions, keeping their refs.
func newEntry(ext registry.Extension, vs []registry.Version) Entry {
	refs, names := make([]string, len(vs)), make([]string, len(vs))
	for i, v := range vs {
		refs[i], names[i] = v.Ref, v.FileName
	}
	return Entry{Extension: ext, Versions: vs, Refs: refs, FileNames: names}
}

// versions returns a copy of the entry's versions with their refs.
func (e *Entry) versions() []registry.Version {
	out := make([]registry.Version, len(e.Versions))
	copy(out, e.Versions)
	for i := range out {
		if i < len(e.Refs) && e.Refs[i] != "" {
			out[i].Ref = e.Refs[i]
		}
		if i < len(e.FileNames) && e.FileNames[i] != "" {
			out[i].FileName = e.FileNames[i]
		}
	}
	return out
}

// IndexStore keeps the last good Snapshot of each source. The default,
// NewMemoryStore, keeps them in this process; a store shared by replicas
// lets one of them read a source and the others serve what it stored.
// Implementations are safe for concurrent use.
type IndexStore interface {
	// Load returns the stored snapshot of src, or nil and no error when
	// there is none.
	Load(ctx context.Context, src registry.Source) (*Snapshot, error)
	// Save stores s as the snapshot of s.Source, replacing the previous
	// one. The caller does not modify s afterwards.
	Save(ctx context.Context, s *Snapshot) error
}

// NewMemoryStore returns an IndexStore that keeps snapshots in memory.
func NewMemoryStore() IndexStore { return &memoryStore{snaps: map[registry.Source]*Snapshot{}} }

type memoryStore struct {
	mu    sync.Mutex
	snaps map[registry.Source]*Snapshot
}

func (m *memoryStore) Load(_ context.Context, src registry.Source) (*Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snaps[src], nil
}

func (m *memoryStore) Save(_ context.Context, s *Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snaps[s.Source] = s
	return nil
}
