package httpkit

import "errors"

// Kind is one row of a face's error table: the error kind (one of the
// registry.Err* sentinels, or any error errors.Is matches) and the face's
// answer for it.
type Kind[A any] struct {
	Kind   error
	Answer A
}

// Kinds is a face's table from error kinds to its answers, searched in
// order: the first row whose Kind the error wraps wins, so a more specific
// kind comes before a general one. Each face has one such table instead of
// a switch of its own; a new error kind is one row in each.
type Kinds[A any] []Kind[A]

// Find returns the answer of the first row err wraps, and false when no
// row matches.
func (k Kinds[A]) Find(err error) (A, bool) {
	for _, row := range k {
		if errors.Is(err, row.Kind) {
			return row.Answer, true
		}
	}
	var zero A
	return zero, false
}
