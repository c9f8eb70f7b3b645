// Package secret holds credentials in a type that never prints its value.
//
// A Value formats as "[redacted]" through fmt (every verb, including %v, %+v,
// %#v, %s, %q, %x), encoding/json, encoding.TextMarshaler and log/slog, and
// as the empty string when unset, so a secret that ends up in a log line, an
// error message or a JSON body by accident shows only that it exists. The
// only way to read the value is Reveal, which makes every use greppable.
package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what every printing path shows for a set Value.
const Redacted = "[redacted]"

// Value is a secret string. The zero Value is unset.
//
// The string is held behind a pointer so that even where fmt cannot call
// the methods below — a Value in an unexported struct field, printed with
// %v or %+v — it prints an address, never the characters. Compare Values
// with Reveal, not ==.
type Value struct {
	p *string
}

// New wraps s. New("") is the unset Value.
func New(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{p: &s}
}

// Reveal returns the secret itself. Call it only where the value is handed
// to the party that needs it (an HTTP header, a client option).
func (v Value) Reveal() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// IsSet reports whether the value is non-empty.
func (v Value) IsSet() bool { return v.p != nil && *v.p != "" }

// shown is what every printing path uses: Redacted when set, "" when unset.
func (v Value) shown() string {
	if !v.IsSet() {
		return ""
	}
	return Redacted
}

// String implements fmt.Stringer.
func (v Value) String() string { return v.shown() }

// GoString implements fmt.GoStringer (the %#v verb).
func (v Value) GoString() string { return fmt.Sprintf("secret.Value(%q)", v.shown()) }

// Format implements fmt.Formatter so that every verb, flag and width prints
// the redacted form, never the value.
func (v Value) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			_, _ = f.Write([]byte(v.GoString()))
			return
		}
	case 'q':
		_, _ = fmt.Fprintf(f, "%q", v.shown())
		return
	}
	s := v.shown()
	if w, ok := f.Width(); ok {
		if f.Flag('-') {
			s = fmt.Sprintf("%-*s", w, s)
		} else {
			s = fmt.Sprintf("%*s", w, s)
		}
	}
	_, _ = f.Write([]byte(s))
}

// MarshalJSON implements json.Marshaler: a JSON string "[redacted]" or "".
func (v Value) MarshalJSON() ([]byte, error) { return json.Marshal(v.shown()) }

// MarshalText implements encoding.TextMarshaler (used by YAML, TOML, maps
// keyed by Value, and slog's text handler).
func (v Value) MarshalText() ([]byte, error) { return []byte(v.shown()), nil }

// LogValue implements slog.LogValuer.
func (v Value) LogValue() slog.Value { return slog.StringValue(v.shown()) }
