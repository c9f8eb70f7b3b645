package blobcache

import (
	"crypto/sha256"
	"hash"
)

// hasher hashes chunks on its own goroutine, so that a fill hashes a chunk
// while it writes it to disk and reads the next one.
type hasher struct {
	h       hash.Hash
	in      chan []byte
	done    chan struct{}
	pending bool // a chunk given to start is not hashed yet
}

func newHasher() *hasher {
	h := &hasher{h: sha256.New(), in: make(chan []byte), done: make(chan struct{})}
	go func() {
		for b := range h.in {
			h.h.Write(b)
			h.done <- struct{}{}
		}
	}()
	return h
}

// start hashes b; b must not change until wait returns.
func (h *hasher) start(b []byte) { h.in <- b; h.pending = true }

// wait waits for the chunk given to start, if any.
func (h *hasher) wait() {
	if h.pending {
		<-h.done
		h.pending = false
	}
}

// stop waits for the pending chunk and ends the goroutine.
func (h *hasher) stop() { h.wait(); close(h.in) }
