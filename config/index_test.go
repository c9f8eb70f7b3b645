package config

import (
	"strings"
	"testing"
	"time"
)

func TestIndexKeys(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Index.Interval != time.Minute || c.Index.MaxStale != 24*time.Hour || c.Index.Concurrency != 8 || c.Blobs.MaxSize != 10<<30 {
		t.Errorf("defaults = %+v %+v", c.Index, c.Blobs)
	}
	if got := c.BlobsDir(); got != "data/blobs" {
		t.Errorf("BlobsDir = %q", got)
	}
	c, err = Load("", []string{"EXTENSION_REGISTRY_INDEX_INTERVAL=5s", "EXTENSION_REGISTRY_INDEX_MAX_STALE=1h",
		"EXTENSION_REGISTRY_INDEX_CONCURRENCY=2", "EXTENSION_REGISTRY_BLOBS_MAX_SIZE=512MiB", "EXTENSION_REGISTRY_BLOBS_DIR=/tmp/b"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Index.Interval != 5*time.Second || c.Index.MaxStale != time.Hour || c.Index.Concurrency != 2 || c.Blobs.MaxSize != 512<<20 || c.BlobsDir() != "/tmp/b" {
		t.Errorf("from env = %+v %+v", c.Index, c.Blobs)
	}
	for env, want := range map[string]string{
		"EXTENSION_REGISTRY_INDEX_INTERVAL=0s":         "index.interval",
		"EXTENSION_REGISTRY_INDEX_MAX_STALE=soon":      "index.max_stale",
		"EXTENSION_REGISTRY_INDEX_CONCURRENCY=0":       "index.concurrency",
		"EXTENSION_REGISTRY_INDEX_CONCURRENCY=many":    "index.concurrency",
		"EXTENSION_REGISTRY_BLOBS_MAX_SIZE=10 lots":    "blobs.max_size",
		"EXTENSION_REGISTRY_BLOBS_MAX_SIZE=-1":         "blobs.max_size",
		"EXTENSION_REGISTRY_BLOBS_MAX_SIZE=9999999TiB": "blobs.max_size",
	} {
		_, err := Load("", []string{env})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line naming %s", env, err, want)
		}
	}
}
