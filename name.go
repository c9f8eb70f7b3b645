package registry

import "strconv"

// MaxNameLength is the longest extension name: with the OCI namespace and
// a type suffix it stays inside a repository path (at most 255 bytes) and
// a file name on disk (the embedded store keeps one folder per name).
const MaxNameLength = 128

// CheckName returns nil when name can name an extension in every source:
// at most MaxNameLength bytes, lowercase letters and digits separated by
// '.', '_', "__" or '-'s (an OCI repository path component). Else an
// *Error of kind ErrInvalid with a one-line message.
func CheckName(name string) error {
	switch {
	case name == "":
		return &Error{Kind: ErrInvalid, Message: "Invalid extension name: it is empty"}
	case len(name) > MaxNameLength:
		return &Error{Kind: ErrInvalid, Message: "Invalid extension name " + Quote(name) + ": " + strconv.Itoa(len(name)) + " bytes, at most " + strconv.Itoa(MaxNameLength) + " allowed"}
	case !ValidOCIComponent(name):
		return &Error{Kind: ErrInvalid, Message: "Invalid extension name " + Quote(name) + ": must be lowercase letters, digits and . _ - (starting and ending with a letter or digit)"}
	}
	return nil
}
