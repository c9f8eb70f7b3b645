package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const raw = "s3cr3t-T0KEN"

func TestNeverPrintsValue(t *testing.T) {
	v := New(raw)
	if v.Reveal() != raw || !v.IsSet() {
		t.Fatalf("Reveal/IsSet wrong: %q %v", v.Reveal(), v.IsSet())
	}
	type holder struct {
		Token Value
		P     *Value
	}
	h := holder{Token: v, P: &v}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-10v", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, h), fmt.Sprintf(verb, []Value{v}))
	}
	outs = append(outs, fmt.Sprint(v), fmt.Sprintln(v), v.String(), v.GoString())
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	txt, _ := v.MarshalText()
	outs = append(outs, string(txt))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "token", v, "h", h)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "token", v, "h", h)
	outs = append(outs, buf.String())
	for _, o := range outs {
		if strings.Contains(o, raw) || strings.Contains(o, fmt.Sprintf("%x", raw)) || strings.Contains(strings.ToLower(o), strings.ToLower(fmt.Sprintf("%X", raw))) {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if got := fmt.Sprintf("%v", v); got != Redacted {
		t.Errorf("%%v = %q", got)
	}
	if string(j) != `{"Token":"[redacted]","P":"[redacted]"}` {
		t.Errorf("json = %s", j)
	}
	if !strings.Contains(buf.String(), `"token":"[redacted]"`) || !strings.Contains(buf.String(), "token=[redacted]") {
		t.Errorf("slog output = %s", buf.String())
	}
}

// TestUnexportedFieldNeverPrintsValue: fmt does not call the methods of
// a Value held in an unexported field, and still must not show it.
func TestUnexportedFieldNeverPrintsValue(t *testing.T) {
	type creds struct {
		user  string
		token Value
	}
	c := creds{user: "robot", token: New(raw)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, c); strings.Contains(out, raw) {
			t.Errorf("%s of a struct with an unexported Value: %s", verb, out)
		}
		if out := fmt.Sprintf(verb, &c); strings.Contains(out, raw) {
			t.Errorf("%s of a pointer to it: %s", verb, out)
		}
	}
	if c.token.Reveal() != raw {
		t.Fatal("Reveal lost the value")
	}
}

func TestUnsetPrintsEmpty(t *testing.T) {
	var v Value
	if v.IsSet() || v.Reveal() != "" {
		t.Fatal("zero Value is set")
	}
	if s := fmt.Sprintf("%v|%s|%q", v, v, v); s != `||""` {
		t.Errorf("unset formats as %q", s)
	}
	j, _ := json.Marshal(v)
	if string(j) != `""` {
		t.Errorf("json = %s", j)
	}
	if New("").IsSet() {
		t.Error(`New("") is set`)
	}
}
