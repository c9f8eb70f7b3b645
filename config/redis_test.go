package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRedisKeys(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.Enabled() || c.Redis.LockExpiry != 0 {
		t.Errorf("defaults: %+v, want Redis off", c.Redis)
	}
	c, err = Load("", []string{"EXTENSION_REGISTRY_REDIS_URL=redis://:pw@127.0.0.1:6379/2", "EXTENSION_REGISTRY_REDIS_LOCK_EXPIRY=10s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL.Reveal() != "redis://:pw@127.0.0.1:6379/2" || c.Redis.LockExpiry != 10*time.Second {
		t.Errorf("from env: %+v", c.Redis)
	}
	if s := fmt.Sprintf("%v %+v", c, c.Redis); strings.Contains(s, "pw@") {
		t.Errorf("the Redis URL's password prints: %s", s)
	}

	file := filepath.Join(t.TempDir(), "redis-url")
	if err := os.WriteFile(file, []byte("rediss://user:pw@redis.example:6380/0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err = Load("", []string{"EXTENSION_REGISTRY_REDIS_URL_FILE=" + file}); err != nil || c.Redis.URL.Reveal() != "rediss://user:pw@redis.example:6380/0" {
		t.Errorf("from file: %v %v", c.Redis, err)
	}

	for env, want := range map[string]string{
		"EXTENSION_REGISTRY_REDIS_URL=http://:s3cret@host/0":  "redis.url",
		"EXTENSION_REGISTRY_REDIS_URL=127.0.0.1:6379":         "redis.url",
		"EXTENSION_REGISTRY_REDIS_URL=redis://:s3cret@%zz/0":  "redis.url",
		"EXTENSION_REGISTRY_REDIS_LOCK_EXPIRY=1ms":            "redis.lock_expiry",
		"EXTENSION_REGISTRY_REDIS_LOCK_EXPIRY=forever":        "redis.lock_expiry",
		"EXTENSION_REGISTRY_REDIS_URL_FILE=/nonexistent/file": "redis.url_file",
	} {
		_, err := Load("", []string{env})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error %v, want one line naming %s, without the password", env, err, want)
		}
	}
	if _, err := Load("", []string{"EXTENSION_REGISTRY_REDIS_URL=redis://h/0", "EXTENSION_REGISTRY_REDIS_URL_FILE=" + file}); err == nil {
		t.Error("redis.url and redis.url_file together accepted")
	}
}
