package edge

import (
	"io"
)

// readFromChunk is the most one ReadFrom sends before the write deadline
// is extended again: a client that keeps reading at more than about
// 17 KB/s is never cut by the write timeout (60 s by default), as with
// Write.
const readFromChunk = 1 << 20

// writeOnly hides a writer's ReadFrom, for io.Copy fallbacks.
type writeOnly struct{ io.Writer }

// ReadFrom sends src through the underlying writer's ReadFrom (for a file,
// the kernel's sendfile), a chunk at a time, extending the write deadline
// before each chunk and counting what was sent. A src that is an
// *io.LimitedReader (as http.ServeContent and the blob cache hand over) is
// cut into chunks of the same shape, so that the kernel path still sees a
// file.
func (w *writer) ReadFrom(src io.Reader) (int64, error) {
	w.start()
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(writeOnly{w}, src)
	}
	under, left := src, int64(-1)
	if lr, ok := src.(*io.LimitedReader); ok {
		under, left = lr.R, lr.N
		defer func() { lr.N = left }()
	}
	var total int64
	for left != 0 {
		n := int64(readFromChunk)
		if left > 0 {
			n = min(n, left)
		}
		w.extend()
		m, err := rf.ReadFrom(&io.LimitedReader{R: under, N: n})
		total += m
		w.req.sent.Add(m)
		if left > 0 {
			left -= m
		}
		if err != nil {
			return total, err
		}
		if m < n {
			break // src ended
		}
	}
	return total, nil
}

// ReadFrom passes a body's ReadFrom to the connection's (for a file, the
// kernel's sendfile). Only bodies go this way: net/http has written the
// answer's headers through Write first.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	c.mu.Lock()
	c.head = nil
	c.mu.Unlock()
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writeOnly{c.Conn}, r)
}
