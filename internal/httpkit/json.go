package httpkit

import (
	"encoding/json"
	"net/http"
)

// WriteJSON writes v as a JSON answer with the given status, as
// application/json with X-Content-Type-Options: nosniff. Headers the face
// wants besides (Cache-Control, ETag) are set on w before the call.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
