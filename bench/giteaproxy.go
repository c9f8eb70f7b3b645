package main

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
)

// giteaCounter is a reverse proxy in front of Gitea that counts the API
// requests passing through it by kind. RefreshStarts counts first pages of
// an organization's repository list, that is reads of the whole source.
type giteaCounter struct {
	host                                                                    string
	total, repoPages, refreshStarts, repoReads, releaseLists, assets, other atomic.Int64
}

// giteaCounts is a snapshot of a giteaCounter.
type giteaCounts struct {
	Total         int64 `json:"total"`
	RepoPages     int64 `json:"repository_list_pages"`
	RefreshStarts int64 `json:"repository_list_first_pages"`
	RepoReads     int64 `json:"repository_reads"`
	ReleaseLists  int64 `json:"release_list_pages"`
	Assets        int64 `json:"asset_downloads"`
	Other         int64 `json:"other"`
}

func startGiteaCounter(giteaURL string) (*giteaCounter, error) {
	target, err := url.Parse(giteaURL)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	// A service stopped, or a listing cancelled, mid-request is expected.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	c := &giteaCounter{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.host = ln.Addr().String()
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.count(r)
			rp.ServeHTTP(w, r)
		}))
	}()
	return c, nil
}

func (c *giteaCounter) count(r *http.Request) {
	c.total.Add(1)
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/api/v1/orgs/") && strings.HasSuffix(p, "/repos"):
		c.repoPages.Add(1)
		if pg := r.URL.Query().Get("page"); pg == "" || pg == "1" {
			c.refreshStarts.Add(1)
		}
	case strings.HasPrefix(p, "/api/v1/repos/") && strings.Count(strings.Trim(p, "/"), "/") == 4:
		c.repoReads.Add(1) // GET /api/v1/repos/{owner}/{repo}
	case strings.HasPrefix(p, "/api/v1/repos/") && strings.HasSuffix(p, "/releases"):
		c.releaseLists.Add(1)
	case strings.Contains(p, "/releases/download/") || strings.HasPrefix(p, "/attachments/"):
		c.assets.Add(1)
	default:
		c.other.Add(1)
	}
}

func (c *giteaCounter) snapshot() giteaCounts {
	return giteaCounts{c.total.Load(), c.repoPages.Load(), c.refreshStarts.Load(), c.repoReads.Load(), c.releaseLists.Load(), c.assets.Load(), c.other.Load()}
}

func (a giteaCounts) minus(b giteaCounts) giteaCounts {
	return giteaCounts{a.Total - b.Total, a.RepoPages - b.RepoPages, a.RefreshStarts - b.RefreshStarts, a.RepoReads - b.RepoReads,
		a.ReleaseLists - b.ReleaseLists, a.Assets - b.Assets, a.Other - b.Other}
}
