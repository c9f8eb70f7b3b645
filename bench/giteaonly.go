package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// giteaOnlyRun is -gitea-only: it measures the Gitea figures alone, prints
// them and sets the "gitea" key of the results file out, keeping its other
// keys.
func giteaOnlyRun(ctx context.Context, cfg config, out string) error {
	dir, err := os.MkdirTemp("", "extreg-bench-gitea-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := buildService(dir)
	if err != nil {
		return err
	}
	r, err := runGitea(ctx, bin, dir, cfg)
	if err != nil || r == nil {
		return err
	}
	printGitea(os.Stdout, r)
	g, err := json.Marshal(r)
	if err != nil {
		return err
	}
	prev, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	b, err := setKey(prev, "gitea", g)
	if err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Printf("\nthe \"gitea\" key written to %s\n", out)
	return nil
}

// setKey returns the JSON object doc (empty: {}) with key set to value,
// the other keys kept in their order, indented as the results file is.
func setKey(doc []byte, key string, value json.RawMessage) ([]byte, error) {
	var keys []string
	vals := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(doc)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(doc))
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return nil, fmt.Errorf("not a JSON object")
		}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := t.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			if _, seen := vals[k]; !seen {
				keys = append(keys, k)
			}
			vals[k] = v
		}
	}
	if _, seen := vals[key]; !seen {
		keys = append(keys, key)
	}
	vals[key] = value
	var buf bytes.Buffer
	buf.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			buf.WriteString(",")
		}
		kb, _ := json.Marshal(k)
		fmt.Fprintf(&buf, "%s:%s", kb, vals[k])
	}
	buf.WriteString("}")
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
