package app

import (
	"context"
	"fmt"
	"os"

	"github.com/provisioning-platform/extension-registry/examples"
	"github.com/provisioning-platform/extension-registry/oci"
)

// PublishBuiltinExamples publishes the example extensions built into the
// binary (package examples) into b, exactly as PublishExamples publishes
// the checked-out examples/ folder: the same archives and manifests.
func PublishBuiltinExamples(ctx context.Context, b *oci.Backend) (int, error) {
	dir, err := os.MkdirTemp("", "extension-registry-examples-")
	if err != nil {
		return 0, fmt.Errorf("built-in examples: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := examples.Extract(dir); err != nil {
		return 0, err
	}
	return PublishExamples(ctx, b, dir)
}
