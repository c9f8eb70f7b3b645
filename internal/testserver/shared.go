package testserver

import (
	"os"
	"sync"
	"testing"
)

// server is what the servers of this package have in common.
type server interface {
	Close()
	workDir() string
	logFile() string
}

func (r *Registry) workDir() string { return r.Dir }
func (r *Registry) logFile() string { return r.LogFile }
func (g *Gitea) workDir() string    { return g.Dir }
func (g *Gitea) logFile() string    { return g.LogFile }

// startForTest starts a server in a temporary directory of tb, stops it
// when tb ends and, when tb failed, shows the end of its log.
func startForTest[S server](tb testing.TB, name string, start func(dir string) (S, error)) S {
	tb.Helper()
	s, err := start(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		if tb.Failed() {
			tb.Logf("%s log (end):\n%s", name, tail(s.logFile(), 100))
		}
	})
	return s
}

// pool holds the servers shared by the tests of one binary, one per
// options value.
type pool[K comparable, S server] struct {
	mu      sync.Mutex
	servers map[K]S
}

// get returns the server for key, started on first use in a directory of
// its own; when tb fails, its output shows the end of the server's log.
func (p *pool[K, S]) get(tb testing.TB, key K, name string, start func(dir string) (S, error)) S {
	tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.servers[key]
	if !ok {
		dir, err := os.MkdirTemp("", "extreg-"+name+"-")
		if err != nil {
			tb.Fatal(err)
		}
		if s, err = start(dir); err != nil {
			os.RemoveAll(dir)
			tb.Fatal(err)
		}
		if p.servers == nil {
			p.servers = map[K]S{}
		}
		p.servers[key] = s
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("shared %s log (end):\n%s", name, tail(s.logFile(), 60))
		}
	})
	return s
}

// stopAll stops every server of the pool and removes its data.
func (p *pool[K, S]) stopAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, s := range p.servers {
		s.Close()
		os.RemoveAll(s.workDir())
		delete(p.servers, key)
	}
}
