package edge

import (
	"net/http"
	"time"
)

// writer is the ResponseWriter the edge hands to the mux: every write
// first extends the connection's write deadline by the write timeout (so
// only a client that stops reading is cut, never a long download that keeps
// moving), the first write lifts the request's backend budget, and the
// bytes written are counted for the shutdown log.
type writer struct {
	http.ResponseWriter
	rc           *http.ResponseController
	timeout      time.Duration
	req          *Request
	onFirstWrite func()
	started      bool
}

func (w *writer) extend() {
	if w.timeout > 0 {
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	}
}

func (w *writer) start() {
	if !w.started {
		w.started = true
		if w.onFirstWrite != nil {
			w.onFirstWrite()
		}
	}
}

// WriteHeader starts the answer.
func (w *writer) WriteHeader(code int) {
	if code >= 200 {
		w.start()
	}
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

// Write writes body bytes within the write timeout.
func (w *writer) Write(p []byte) (int, error) {
	w.start()
	w.extend()
	n, err := w.ResponseWriter.Write(p)
	w.req.sent.Add(int64(n))
	return n, err
}

// Flush sends what is buffered.
func (w *writer) Flush() {
	w.extend()
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// closeOnError closes the connection after an error answer to a request
// with a body, instead of letting net/http read the rest of the body to
// reuse the connection (up to 256 KiB, for as long as server.read_timeout
// allows): a slow or hostile client may never send it.
type closeOnError struct{ http.ResponseWriter }

// WriteHeader marks error answers for closing and ends reading.
func (w *closeOnError) WriteHeader(code int) {
	if code >= 400 {
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w.ResponseWriter).SetReadDeadline(time.Now())
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *closeOnError) Unwrap() http.ResponseWriter { return w.ResponseWriter }
