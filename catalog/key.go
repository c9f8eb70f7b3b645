package catalog

import (
	registry "github.com/provisioning-platform/extension-registry"
)

// Kind is the kind of a cache entry, as the API's cache statistics and the
// cache_hits_total / cache_misses_total metrics name it.
type Kind uint8

// The kinds of cache entries: a (filtered) list, one extension's metadata,
// one extension's versions.
const (
	KindList Kind = iota + 1
	KindMetadata
	KindVersions
)

// String returns the kind's metric label: "list", "metadata" or "versions".
func (k Kind) String() string {
	switch k {
	case KindList:
		return "list"
	case KindMetadata:
		return "metadata"
	case KindVersions:
		return "versions"
	}
	return "unknown"
}

// Key identifies one cache entry. Its fields are never parsed back out of a
// string, so that no extension name (such as "versions") can change the
// kind it is counted as. The API document's string scheme
// ("list:{type}:{source}", "{type}/{name}", "{type}/{name}/versions") is
// what String returns.
type Key struct {
	// Scope keeps apart catalogs that share one Cache (one per set of
	// credentials); empty for the v1 API's catalog.
	Scope string
	Kind  Kind
	// Type and Source are the filter of a list; Type and Name the
	// extension of a metadata or versions entry.
	Type   registry.Type
	Source registry.Source
	Name   string
}

// String returns the key in the API document's scheme, without the scope.
func (k Key) String() string {
	switch k.Kind {
	case KindList:
		return "list:" + string(k.Type) + ":" + string(k.Source)
	case KindVersions:
		return string(k.Type) + "/" + k.Name + "/versions"
	default:
		return string(k.Type) + "/" + k.Name
	}
}

func (c *Catalog) listKey(f Filter) Key {
	return Key{Scope: c.scope, Kind: KindList, Type: f.Type, Source: f.Source}
}

func (c *Catalog) metadataKey(typ registry.Type, name string) Key {
	return Key{Scope: c.scope, Kind: KindMetadata, Type: typ, Name: name}
}

func (c *Catalog) versionsKey(typ registry.Type, name string) Key {
	return Key{Scope: c.scope, Kind: KindVersions, Type: typ, Name: name}
}

// flight is the key's name for singleflight: every field, separated by a
// byte no field holds, so that two keys never share a call.
func (k Key) flight() string {
	return k.Scope + "\x00" + k.Kind.String() + "\x00" + string(k.Type) + "\x00" + string(k.Source) + "\x00" + k.Name
}
