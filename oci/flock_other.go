//go:build !unix || solaris || illumos || aix

package oci

import (
	"context"
	"sync"
)

// processLock serialises the writers of this process where flock(2) does
// not exist; concurrent publish processes are not excluded there.
var processLock sync.Mutex

// lockFile serialises writers within the process only (see flock_unix.go
// for the inter-process lock).
func lockFile(ctx context.Context, _ string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	processLock.Lock()
	return processLock.Unlock, nil
}
