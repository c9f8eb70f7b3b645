package web

import (
	"fmt"
	"html/template"
	"strconv"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// funcs are the helpers the templates call.
var funcs = template.FuncMap{
	"size":     humanSize,
	"date":     shortDate,
	"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"plural":   plural,
	"types":    func() []registry.Type { return registry.Types },
	"cmds":     func(curl, pull, forVersion string) commandSet { return commandSet{curl, pull, forVersion} },
}

// commandSet is what the commands template shows: the two commands that
// fetch one version, and which version they are for.
type commandSet struct{ Curl, Pull, For string }

// humanSize writes a byte count the way people read it; 0 (unknown) is "".
func humanSize(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	}
	f, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if f < 1024 {
			break
		}
		f, unit = f/1024, u
	}
	return fmt.Sprintf("%.1f %s", f, unit)
}

// shortDate is the day of t, or "" for the zero time.
func shortDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// plural is "1 extension" or "n extensions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
