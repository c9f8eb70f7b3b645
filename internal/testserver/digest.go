package testserver

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"testing"
)

// SHA256 returns the hex SHA-256 of data.
func SHA256(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// Digest returns "sha256:<hex>" of data, as the API's checksums read.
func Digest(data []byte) string { return "sha256:" + SHA256(data) }

// FileDigest returns "sha256:<hex>" and the size of the file at path,
// read as a stream (never whole into memory).
func FileDigest(tb testing.TB, path string) (string, int64) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		tb.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n
}
