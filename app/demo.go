package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/oci"
)

// exampleMeta is the extension.yaml of an example extension folder.
type exampleMeta struct {
	Description string               `yaml:"description"`
	Author      string               `yaml:"author"`
	Repository  string               `yaml:"repository"`
	Tags        []string             `yaml:"tags"`
	Published   map[string]time.Time `yaml:"published"`
}

// PublishExamples publishes the example extensions under dir into b: every
// folder dir/{type}/{name}/{version}/ is one version, packed reproducibly,
// with the metadata of dir/{type}/{name}/extension.yaml. Publishing the
// same examples twice gives the same artifacts. It returns how many
// versions it published.
func PublishExamples(ctx context.Context, b *oci.Backend, dir string) (int, error) {
	n := 0
	for _, typ := range registry.Types {
		names, err := subdirs(filepath.Join(dir, string(typ)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return n, err
		}
		for _, name := range names {
			extDir := filepath.Join(dir, string(typ), name)
			meta, err := readExampleMeta(extDir)
			if err != nil {
				return n, err
			}
			versions, err := subdirs(extDir)
			if err != nil {
				return n, err
			}
			for _, v := range versions {
				_, err := b.Publish(ctx, oci.Artifact{
					Path:        filepath.Join(extDir, v),
					Type:        typ,
					Name:        name,
					Version:     v,
					Description: meta.Description,
					Author:      meta.Author,
					Repository:  meta.Repository,
					Tags:        meta.Tags,
					Created:     meta.Published[v],
				})
				if err != nil {
					return n, fmt.Errorf("example %s/%s %s: %w", typ, name, v, err)
				}
				n++
			}
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("no example extensions under %s (expected %s/{type}/{name}/{version}/)", dir, dir)
	}
	return n, nil
}

func readExampleMeta(extDir string) (exampleMeta, error) {
	var m exampleMeta
	b, err := os.ReadFile(filepath.Join(extDir, "extension.yaml"))
	if err != nil {
		return m, err
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(extDir, "extension.yaml"), err)
	}
	return m, nil
}

// subdirs lists the folders directly under dir, sorted.
func subdirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}
