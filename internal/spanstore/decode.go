package spanstore

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// encoding is the wire format of an OTLP/HTTP request, and of its response.
type encoding int

const (
	encProto encoding = iota
	encJSON
)

const (
	contentTypeProto = "application/x-protobuf"
	contentTypeJSON  = "application/json"
)

func (e encoding) contentType() string {
	if e == encJSON {
		return contentTypeJSON
	}
	return contentTypeProto
}

// requestError is a request the receiver refuses, with the HTTP status that
// says why.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// bufPool recycles request bodies: both unmarshallers copy what they keep.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuf keeps one unusually large request from pinning its buffer.
const maxPooledBuf = 4 << 20

// decodeRequest reads one OTLP/HTTP export request of at most limit bytes,
// before and after decompression. Every error is a *requestError.
func decodeRequest(contentType, contentEncoding string, body io.Reader, limit int64) (*coltracepb.ExportTraceServiceRequest, encoding, error) {
	enc, err := parseContentType(contentType)
	if err != nil {
		return nil, enc, err
	}
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, enc, badRequest("malformed gzip body: %v", err)
		}
		defer zr.Close()
		body = zr
	default:
		return nil, enc, &requestError{status: http.StatusUnsupportedMediaType,
			msg: fmt.Sprintf("unsupported Content-Encoding %q: send gzip or no encoding", contentEncoding)}
	}

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuf {
			bufPool.Put(buf)
		}
	}()
	// Read one byte past the limit to tell "exactly at" from "over"; the
	// limit applies to the inflated bytes, so a small gzip bomb stops here.
	if _, err := buf.ReadFrom(io.LimitReader(body, limit+1)); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, enc, tooLarge(limit)
		}
		if _, zipped := body.(*gzip.Reader); zipped {
			return nil, enc, badRequest("malformed gzip body: %v", err)
		}
		return nil, enc, badRequest("read body: %v", err)
	}
	if int64(buf.Len()) > limit {
		return nil, enc, tooLarge(limit)
	}

	req := &coltracepb.ExportTraceServiceRequest{}
	if buf.Len() == 0 {
		// OTLP/HTTP: an empty body is an export of nothing, in either
		// encoding; protojson alone would call it malformed.
		return req, enc, nil
	}
	if enc == encJSON {
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(buf.Bytes(), req); err != nil {
			return nil, enc, badRequest("malformed OTLP JSON: %v", err)
		}
		if err := hexIDs(req.GetResourceSpans()); err != nil {
			return nil, enc, badRequest("%v", err)
		}
	} else {
		if err := proto.Unmarshal(buf.Bytes(), req); err != nil {
			return nil, enc, badRequest("malformed OTLP protobuf: %v", err)
		}
	}
	return req, enc, nil
}

func tooLarge(limit int64) *requestError {
	return &requestError{status: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("request body is larger than %d bytes", limit)}
}

func parseContentType(ct string) (encoding, error) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && ct != "" {
		return encProto, &requestError{status: http.StatusUnsupportedMediaType,
			msg: fmt.Sprintf("malformed Content-Type %q", ct)}
	}
	switch mt {
	case contentTypeProto:
		return encProto, nil
	case contentTypeJSON:
		return encJSON, nil
	}
	return encProto, &requestError{status: http.StatusUnsupportedMediaType,
		msg: fmt.Sprintf("unsupported Content-Type %q: send %s or %s", ct, contentTypeProto, contentTypeJSON)}
}

// hexIDs turns the ids of OTLP/JSON into bytes. OTLP/JSON spells trace and
// span ids in hex, where protojson expects base64 for bytes fields; a hex
// string is also valid base64, so protojson decodes a 32-digit trace id into
// 24 bytes. Encoding those back gives the digits. Ids sent in base64 by a
// plain protojson client decode to the right length and are left alone.
func hexIDs(rss []*tracepb.ResourceSpans) error {
	for ri, rs := range rss {
		for si, ss := range rs.GetScopeSpans() {
			for i, sp := range ss.GetSpans() {
				var err error
				fix := func(what string, id *[]byte, size int) {
					if err == nil {
						*id, err = hexID(what, *id, size)
					}
				}
				fix("traceId", &sp.TraceId, 16)
				fix("spanId", &sp.SpanId, 8)
				fix("parentSpanId", &sp.ParentSpanId, 8)
				for li, l := range sp.GetLinks() {
					fix(fmt.Sprintf("links[%d].traceId", li), &l.TraceId, 16)
					fix(fmt.Sprintf("links[%d].spanId", li), &l.SpanId, 8)
				}
				if err != nil {
					return fmt.Errorf("resourceSpans[%d].scopeSpans[%d].spans[%d] %q: %w", ri, si, i, truncate(sp.GetName(), 80), err)
				}
			}
		}
	}
	return nil
}

func hexID(what string, b []byte, size int) ([]byte, error) {
	if len(b) != size*3/2 {
		return b, nil
	}
	digits := base64.StdEncoding.EncodeToString(b)
	id, err := hex.DecodeString(digits)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not %d hex digits", what, digits, 2*size)
	}
	return id, nil
}
