package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// Bounds on what an extension page shows of the backend's metadata, so
// that a page stays small whatever an artifact's annotations hold.
const (
	versionsPerPage = 20
	pageDescription = 2000
	maxTags         = 20
	maxTagLen       = 40
	maxFieldLen     = 200
	// defaultServer is the client's default --server, left out of commands.
	defaultServer = "http://localhost:8082"
)

// extensionPage is the page of one extension.
type extensionPage struct {
	layout
	Ext        registry.Extension
	Prerelease bool
	// RepoURL is the repository as a link, set only for http(s) URLs.
	RepoURL string
	Tags    []string
	// Current is the row of the current version when it is on this page.
	Current *versionRow
	// CurrentCommands are the commands for the current version.
	CurrentCurl, CurrentPull string
	Versions                 []versionRow
	// VersionsError explains why the versions could not be read.
	VersionsError string
	Pager         pager
}

// versionRow is one row of the versions table.
type versionRow struct {
	Version       string
	PublishedAt   time.Time
	Size          int64
	Checksum      string
	ShortChecksum string
	// Download is the registry's own download link, relative to the page.
	Download   string
	Curl, Pull string
	Prerelease bool
	Current    bool
}

// extension answers GET /extensions/{type}/{name}?page=: the extension's
// metadata and its versions, newest first.
func (p *Pages) extension(w http.ResponseWriter, r *http.Request) {
	typ, err := registry.ParseType(r.PathValue("type"))
	if err != nil {
		p.fail(w, r, http.StatusNotFound, "There is no extension type "+registry.Quote(r.PathValue("type"))+": the types are provider, taskserv and cluster.")
		return
	}
	name := r.PathValue("name")
	pg, ok := pageParam(r.URL.Query())
	if !ok {
		p.fail(w, r, http.StatusBadRequest, "The page parameter must be a whole number from 1.")
		return
	}
	ext, err := p.opts.Catalog.Get(r.Context(), typ, name)
	if err != nil {
		p.failErr(w, r, err)
		return
	}
	page := extensionPage{
		layout:     p.newLayout(r, ext.Name+" ("+string(ext.Type)+")"),
		Ext:        shown(ext),
		Prerelease: isPrerelease(ext.Version),
		RepoURL:    webURL(ext.Repository),
	}
	page.Type = string(ext.Type)
	for i, t := range ext.Tags {
		if i == maxTags {
			break
		}
		page.Tags = append(page.Tags, clip(t, maxTagLen))
	}
	base := p.baseURL(r)
	if ext.Version != "" {
		page.CurrentCurl, page.CurrentPull = commands(base, ext.Type, ext.Name, ext.Version)
	}
	vs, err := p.opts.Catalog.Versions(r.Context(), typ, name)
	if err != nil {
		// What is known is still shown: the metadata, with the reason the
		// versions are missing.
		if r.Context().Err() != nil {
			return
		}
		p.log.Warn("versions failed on an extension page", "extension", ext.Key(), "error", err)
		page.VersionsError = registry.PublicMessage(err)
		if page.VersionsError == "" {
			page.VersionsError = "The source of this extension could not list its versions."
		}
	} else {
		page.Pager = newPager(extensionPath(ext.Type, ext.Name), url.Values{}, pg, len(vs), versionsPerPage)
		lo, hi := page.Pager.bounds(len(vs))
		for _, v := range vs[lo:hi] {
			row := versionRow{
				Version:       clip(v.Version, maxFieldLen),
				PublishedAt:   v.PublishedAt,
				Size:          v.Size,
				Checksum:      clip(v.Checksum, maxFieldLen),
				ShortChecksum: shortChecksum(v.Checksum),
				Download:      downloadPath(ext.Type, ext.Name, v.Version),
				Prerelease:    v.Prerelease || isPrerelease(v.Version),
				Current:       v.Version == ext.Version,
			}
			if row.Current && row.Prerelease {
				page.Prerelease = true // marked so in its source, whatever its version says
			}
			row.Curl, row.Pull = commands(base, ext.Type, ext.Name, v.Version)
			page.Versions = append(page.Versions, row)
		}
	}
	p.render(w, r, http.StatusOK, "extension", page)
}

// shown returns ext with its free-text fields cut to what a page shows.
func shown(ext registry.Extension) registry.Extension {
	ext.Description = clip(ext.Description, pageDescription)
	ext.Author = clip(ext.Author, maxFieldLen)
	ext.Repository = clip(ext.Repository, maxFieldLen)
	ext.Version = clip(ext.Version, maxFieldLen)
	return ext
}

// downloadPath is the v1 download endpoint of one version.
func downloadPath(typ registry.Type, name, version string) string {
	return apiPrefix + "/extensions/" + string(typ) + "/" + url.PathEscape(name) + "/" + url.PathEscape(version)
}

// commands returns the curl and extension-registry commands that fetch
// one version from the registry at base.
func commands(base string, typ registry.Type, name, version string) (curl, pull string) {
	curl = "curl -OJ " + shellQuote(base+downloadPath(typ, name, version))
	pull = "extension-registry pull "
	if base != defaultServer {
		pull += "--server " + shellQuote(base) + " "
	}
	pull += shellQuote(string(typ) + "/" + name + "@" + version)
	return curl, pull
}

// shellSafe matches words a POSIX shell takes as they are.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shortChecksum is the first 12 hex digits of a "sha256:<hex>" checksum.
func shortChecksum(sum string) string {
	hex := sum
	if _, h, ok := strings.Cut(sum, ":"); ok {
		hex = h
	}
	return clip(hex, 12)
}

// webURL returns s when it is an absolute http or https URL, else "".
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > maxFieldLen {
		return ""
	}
	return s
}
