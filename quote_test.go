package registry

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestQuoteBounded: the one quoting rule stays short and valid UTF-8
// whatever the input; invalid UTF-8 is the crasher FuzzCheckQuery found
// (each byte quoted as \xNN made a 64-byte excerpt 256 bytes long).
func TestQuoteBounded(t *testing.T) {
	for _, s := range []string{strings.Repeat("\xec", 100), strings.Repeat("\x00", 100), strings.Repeat("😀", 100), strings.Repeat(`"\`, 100), strings.Repeat("é", 100), "aws"} {
		q := Quote(s)
		if len(q) > 2*MaxQuoted+5 {
			t.Errorf("Quote(%.10q…) is %d bytes: %s", s, len(q), q)
		}
		if e := Excerpt(s); len(e) > MaxQuoted+len("…") || !utf8.ValidString(e) {
			t.Errorf("Excerpt(%.10q…) = %q (%d bytes)", s, e, len(e))
		}
	}
	for in, want := range map[string]string{
		"aws":                   `"aws"`,
		"a\x00b":                `"a?b"`,
		"a\xffb":                `"a?b"`,
		strings.Repeat("a", 64): `"` + strings.Repeat("a", 64) + `"`,
		strings.Repeat("a", 65): `"` + strings.Repeat("a", 64) + `…"`,
		strings.Repeat("é", 40): `"` + strings.Repeat("é", 32) + `…"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%.10q…) = %s, want %s", in, got, want)
		}
	}
}

// TestClientInputMessagesBounded: the messages that repeat a client's type
// or version stay short for long input (a 250-byte type once gave a
// 319-character message).
func TestClientInputMessagesBounded(t *testing.T) {
	long := strings.Repeat("x", 250)
	if _, err := ParseType(long); err == nil || len(err.Error()) > 140 {
		t.Errorf("ParseType(250 bytes): %d-byte message %v", len(err.Error()), err)
	}
	if _, err := ParseSource(long); err == nil || len(err.Error()) > 140 {
		t.Errorf("ParseSource(250 bytes): %d-byte message %v", len(err.Error()), err)
	}
	if _, err := ParseVersion(long); err == nil || len(err.Error()) > 160 {
		t.Errorf("ParseVersion(250 bytes): %d-byte message %v", len(err.Error()), err)
	}
}

// FuzzQuote: whatever the input, the excerpt is valid UTF-8 of at most
// MaxQuoted bytes plus "…", and its quoted form at most 2*MaxQuoted+5.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "aws", "a\x00b", "\xff\xfe", strings.Repeat(`"\`, 40), strings.Repeat("😀", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Excerpt(s)
		if !utf8.ValidString(e) || len(e) > MaxQuoted+len("…") {
			t.Fatalf("Excerpt(%q) = %q", s, e)
		}
		if q := Quote(s); len(q) > 2*MaxQuoted+5 || !utf8.ValidString(q) {
			t.Fatalf("Quote(%q) = %s (%d bytes)", s, q, len(q))
		}
		if len(s) <= MaxQuoted && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) && e != s {
			t.Fatalf("Excerpt changed a short printable input: %q -> %q", s, e)
		}
	})
}
