package registry

import (
	"errors"
	"fmt"
	"time"
)

// The error kinds every backend and the catalog use. Backends wrap them with
// %w; each HTTP face maps them to its own error body in one place.
var (
	// ErrNotFound: the extension, version or resource does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the caller's input is malformed.
	ErrInvalid = errors.New("invalid input")
	// ErrInvalidType: the extension type is not one of the known types.
	ErrInvalidType = errors.New("invalid extension type")
	// ErrInvalidVersion: the version is not a semantic version.
	ErrInvalidVersion = errors.New("invalid version")
	// ErrUnauthorized: the backend refused the credentials (or asked for some).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the credentials are valid but not allowed to read.
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited: the backend asked the registry to slow down.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: the backend could not be reached or failed.
	ErrUnavailable = errors.New("backend unavailable")
	// ErrTimeout: the backend did not answer in time.
	ErrTimeout = errors.New("backend timeout")
)

// ErrChecksumMismatch is wrapped by the verifying readers of the backends
// and the blob cache when an archive's bytes do not match its size or
// digest. It is not a kind of its own (the faces answer the kind of the
// error that wraps it); it tells a failed verification from a broken stream.
var ErrChecksumMismatch = errors.New("the archive does not match its checksum")

// VerificationFailed is the client-facing error of a download that failed
// its checksum before any byte of it was sent: ErrUnavailable (a 503 in
// both faces) saying so, with err as the cause.
func VerificationFailed(err error) *Error {
	return &Error{
		Kind:    ErrUnavailable,
		Message: "The archive failed verification: its bytes from the backend do not match the published checksum; nothing was sent",
		Err:     err,
	}
}

// Error is an error whose Message is safe to show a client: it names what
// went wrong in the client's terms and never carries credentials or internal
// detail. Kind is one of the Err* sentinels above; Err, when set, is the
// underlying cause for logs.
type Error struct {
	Kind    error
	Message string
	Err     error
	// RetryAfter is how long the backend asked the registry to wait before
	// asking again (its Retry-After), for an ErrRateLimited error; zero
	// when it did not say.
	RetryAfter time.Duration
}

// Error returns the message followed by the cause, for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Errorf returns an *Error of the given kind with a formatted client-facing
// message.
func Errorf(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// PublicMessage returns the client-facing message of err: the Message of the
// first *Error in its chain, else "".
func PublicMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// RetryAfter returns how long the backend that rate-limited err asked the
// registry to wait (the RetryAfter of the first *Error in its chain that
// carries one), so that a face can pass it on to its client. ok is false
// when err is no rate limit or the backend named no delay.
func RetryAfter(err error) (time.Duration, bool) {
	if !errors.Is(err, ErrRateLimited) {
		return 0, false
	}
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return 0, false
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter, true
		}
		err = e.Err
	}
	return 0, false
}
