package client

import (
	"fmt"
	"io"
)

// IncompleteError is a download whose answer began but whose body was cut
// before its end: the connection broke, or the server aborted the transfer
// (it does so when the archive fails its verification after bytes went
// out). Whatever was received must be thrown away.
type IncompleteError struct {
	// Received is the number of bytes received; Expected the announced
	// length, -1 when the server announced none.
	Received, Expected int64
	// Err is the read error.
	Err error
}

func (e *IncompleteError) Error() string {
	if e.Expected >= 0 {
		return fmt.Sprintf("the download was cut after %d of %d bytes, an incomplete transfer (the registry may have found the archive corrupt): %v", e.Received, e.Expected, e.Err)
	}
	return fmt.Sprintf("the download was cut after %d bytes, an incomplete transfer (the registry may have found the archive corrupt): %v", e.Received, e.Err)
}

func (e *IncompleteError) Unwrap() error { return e.Err }

// destWriter marks the failures of the download's destination (a full
// disk), so that they are not mistaken for a cut transfer.
type destWriter struct{ w io.Writer }

func (d destWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		return n, &destError{err: err}
	}
	return n, nil
}

// destError is a write to the download's destination that failed.
type destError struct{ err error }

func (e *destError) Error() string { return e.err.Error() }
func (e *destError) Unwrap() error { return e.err }
