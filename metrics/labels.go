package metrics

import (
	"net/http"
	"strconv"
)

// OtherLabel is the label value of everything outside a closed set.
const OtherLabel = "other"

// knownMethods are the request methods a method label may name.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true,
	http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodConnect: true, http.MethodTrace: true,
}

// Method returns the label value of a request method: the method itself
// when it is one of the nine of RFC 9110 and RFC 5789 (case-sensitive, as
// methods are), else "other". A client that invents methods adds no series.
func Method(m string) string {
	if knownMethods[m] {
		return m
	}
	return OtherLabel
}

// Code returns the label value of an HTTP status code: its three digits
// for 100–599, else "other".
func Code(code int) string {
	if code < 100 || code > 599 {
		return OtherLabel
	}
	return strconv.Itoa(code)
}
