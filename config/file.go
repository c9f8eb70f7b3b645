package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"go.yaml.in/yaml/v3"
)

// applyFile applies the YAML file at path. Nested mappings give dotted key
// paths ("cache: {ttl: 1m}" is cache.ttl); every key must be known.
func (c *Config) applyFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &KeyError{Key: "--config", Reason: fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))}
	}
	defer f.Close()
	var root yaml.Node
	if err := yaml.NewDecoder(f).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file sets nothing
		}
		return &KeyError{Key: "--config", Reason: fmt.Sprintf("%s is not valid YAML: %v", path, err)}
	}
	if len(root.Content) == 0 {
		return nil
	}
	return c.applyNode(path, "", root.Content[0])
}

// applyNode walks a mapping node, applying its leaves.
func (c *Config) applyNode(file, prefix string, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		name := prefix
		if name == "" {
			name = "--config"
		}
		return &KeyError{Key: name, Origin: origin(file, n), Reason: "expected a mapping of keys"}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		if seen[path] {
			return &KeyError{Key: path, Origin: origin(file, k), Reason: "given twice"}
		}
		seen[path] = true
		if v.Kind == yaml.MappingNode {
			if _, isKey := lookup(path); isKey {
				return &KeyError{Key: path, Origin: origin(file, v), Reason: "expects a value, not a mapping"}
			}
			if !hasChildren(path) {
				return &KeyError{Key: path, Origin: origin(file, k), Reason: "unknown key"}
			}
			if err := c.applyNode(file, path, v); err != nil {
				return err
			}
			continue
		}
		if k, isKey := lookup(path); isKey && !k.list && isSequence(v) {
			return &KeyError{Key: path, Origin: origin(file, v), Reason: "expects a single value, not a list"}
		}
		vals, err := values(v)
		if err != nil {
			return &KeyError{Key: path, Origin: origin(file, v), Reason: err.Error()}
		}
		if vals == nil {
			continue // "key:" with no value leaves the default
		}
		if err := c.set(path, origin(file, k), vals); err != nil {
			return err
		}
	}
	return nil
}

// values returns the scalar or list of scalars of a node.
func values(n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := []string{}
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, errors.New("list items must be plain values")
			}
			out = append(out, item.Value)
		}
		return out, nil
	case yaml.AliasNode:
		return values(n.Alias)
	}
	return nil, errors.New("unsupported value")
}

// isSequence reports whether n is a YAML list (or an alias of one): a
// scalar key refuses even a one-element list rather than unwrapping it.
func isSequence(n *yaml.Node) bool {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 8; depth++ {
		n = n.Alias
	}
	return n != nil && n.Kind == yaml.SequenceNode
}

// hasChildren reports whether some key lives under prefix.
func hasChildren(prefix string) bool {
	for _, k := range keys {
		if len(k.path) > len(prefix) && k.path[:len(prefix)+1] == prefix+"." {
			return true
		}
	}
	return false
}

func origin(file string, n *yaml.Node) string {
	return fmt.Sprintf("%s line %d", file, n.Line)
}

// Keys lists every configuration key path, sorted.
func Keys() []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.path
	}
	sort.Strings(out)
	return out
}
