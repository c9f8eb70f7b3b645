// Package registry holds the domain of the extension registry: the
// extensions a provisioning platform installs (providers, task services and
// clusters), their versions, the sources they are published in, and the
// small interfaces every backend implements. It imports no HTTP framework and
// no backend SDK; the gitea and oci packages implement Backend, the catalog
// package merges them, and the HTTP faces translate its errors.
package registry

import (
	"time"
)

// Type is the kind of an extension.
type Type string

// The extension types the registry knows.
const (
	Provider Type = "provider"
	Taskserv Type = "taskserv"
	Cluster  Type = "cluster"
)

// Types lists every extension type, in the order the API documents them.
var Types = []Type{Provider, Taskserv, Cluster}

// ParseType returns the Type named s. An unknown name is an *Error of kind
// ErrInvalidType.
func ParseType(s string) (Type, error) {
	switch t := Type(s); t {
	case Provider, Taskserv, Cluster:
		return t, nil
	}
	return "", &Error{
		Kind:    ErrInvalidType,
		Message: "Invalid extension type " + Quote(s) + ": must be one of provider, taskserv, cluster",
	}
}

// Source names the backend an extension is published in.
type Source string

// The sources the registry reads.
const (
	SourceGitea Source = "gitea"
	SourceOCI   Source = "oci"
)

// Sources lists every source in the default precedence order.
var Sources = []Source{SourceGitea, SourceOCI}

// ParseSource returns the Source named s. An unknown name is an *Error of
// kind ErrInvalid.
func ParseSource(s string) (Source, error) {
	switch src := Source(s); src {
	case SourceGitea, SourceOCI:
		return src, nil
	}
	return "", &Error{
		Kind:    ErrInvalid,
		Message: "Invalid source " + Quote(s) + ": must be one of gitea, oci",
	}
}

// Extension is one extension as the API shows it: its identity, the metadata
// of its current version, and where that version comes from.
type Extension struct {
	Name        string    `json:"name"`
	Type        Type      `json:"type"`
	Version     string    `json:"version"`
	Description string    `json:"description"`
	Author      string    `json:"author,omitempty"`
	Repository  string    `json:"repository,omitempty"`
	Source      Source    `json:"source"`
	PublishedAt time.Time `json:"published_at"`
	// DownloadURL is the URL the archive is fetched from. Backends that only
	// serve through the registry (OCI) leave it empty and the HTTP face fills
	// in its own download endpoint.
	DownloadURL string   `json:"download_url,omitempty"`
	Checksum    string   `json:"checksum,omitempty"`
	Size        int64    `json:"size,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// Key returns the identity of the extension, "type/name".
func (e Extension) Key() string { return string(e.Type) + "/" + e.Name }

// Version is one published version of an extension.
type Version struct {
	// Version is the semantic version without a leading "v".
	Version     string    `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	DownloadURL string    `json:"download_url,omitempty"`
	Checksum    string    `json:"checksum,omitempty"`
	Size        int64     `json:"size,omitempty"`
	// Ref is the backend's own name for the version (a tag such as "v1.2.0"),
	// used to fetch it. It is never shown to clients.
	Ref string `json:"-"`
	// Prerelease marks a version that is not a stable release: its semantic
	// version has a pre-release part ("2.0.0-rc.1"), or the backend marks it
	// so (a Gitea release flagged as a pre-release). CurrentVersion passes
	// over it while a stable version exists. It is never shown to clients.
	Prerelease bool `json:"-"`
	// FileName is the name the backend gives the version's archive (a
	// layer's title, a release asset's name), when it knows it without
	// opening the archive. Downloads are offered under it, whatever copy
	// of the bytes serves them. It is never shown in listings.
	FileName string `json:"-"`
}
