package registry

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxQuoted is the most bytes of client input a message repeats.
const MaxQuoted = 64

// Excerpt returns client input for a message or a log line: at most
// MaxQuoted bytes of it (cut on a character boundary), each character that
// is not printable or not UTF-8 shown as '?', then "…" when it was cut. It
// is the one rule by which the registry repeats what a client sent, so
// that no answer or log line echoes unbounded or unprintable input.
func Excerpt(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > MaxQuoted {
			b.WriteString("…")
			return b.String()
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Quote returns Excerpt(s) Go-quoted. Every character of the excerpt is
// printable, so quoting only escapes '"' and '\': the result is at most
// 2*MaxQuoted+5 bytes whatever the input.
func Quote(s string) string { return strconv.Quote(Excerpt(s)) }
