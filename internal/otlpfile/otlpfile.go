// Package otlpfile reads spans from files in the forms the OpenTelemetry
// Collector's file exporter writes them, and from saved OTLP request
// bodies:
//
//   - newline-delimited OTLP JSON, one TracesData (the shape of an
//     ExportTraceServiceRequest) per line; also a single JSON document,
//     indented or not;
//   - OTLP protobuf messages, each after its length as a 4-byte
//     big-endian number (format: proto), each possibly compressed on
//     its own with zstd (compression: zstd);
//   - a single OTLP protobuf request body;
//   - any of these inside a zstd stream (the exporter's native
//     compression) or a gzip stream.
package otlpfile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// MaxMessage bounds one message, after decompression: a length prefix or a
// compressed frame claiming more is refused rather than allocated.
const MaxMessage = 256 << 20

// maxNesting bounds compression inside compression.
const maxNesting = 2

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Read calls fn with each message of r in order. It stops at the first
// error, fn's included; a malformed message is an error that says where
// it is.
func Read(r io.Reader, fn func(*tracepb.TracesData) error) error {
	return read(bufio.NewReaderSize(r, 64<<10), fn, 0)
}

func read(br *bufio.Reader, fn func(*tracepb.TracesData) error, depth int) error {
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, zstdMagic) || bytes.HasPrefix(head, gzipMagic):
		if depth >= maxNesting {
			return errors.New("compressed more than twice over")
		}
		return decompressed(br, fn, depth)
	}
	first, err := br.Peek(1)
	switch {
	case errors.Is(err, io.EOF):
		return nil // an empty file holds no spans
	case err != nil:
		return fmt.Errorf("read: %w", err)
	}
	switch first[0] {
	case '{', ' ', '\t', '\r':
		// No protobuf message starts with these, and as a length prefix
		// they would announce 512 MiB or more.
		return readJSON(br, fn)
	case '\n':
		// Field 1 (resourceSpans) of a bare protobuf body, or JSON after
		// an empty line.
		return readBody(br, fn)
	}
	return readFramed(br, fn)
}

func decompressed(br *bufio.Reader, fn func(*tracepb.TracesData) error, depth int) error {
	head, _ := br.Peek(4)
	if bytes.HasPrefix(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("malformed gzip: %w", err)
		}
		defer zr.Close()
		return wrapCompressed("gzip", read(bufio.NewReaderSize(zr, 64<<10), fn, depth+1))
	}
	zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxMessage))
	if err != nil {
		return fmt.Errorf("malformed zstd: %w", err)
	}
	defer zr.Close()
	return wrapCompressed("zstd", read(bufio.NewReaderSize(zr, 64<<10), fn, depth+1))
}

// wrapCompressed says that a failure to decompress is one.
func wrapCompressed(format string, err error) error {
	var perr *positionError
	if err == nil || errors.As(err, &perr) {
		return err
	}
	return fmt.Errorf("malformed %s: %w", format, err)
}

// positionError is a message that does not decode, where it is.
type positionError struct {
	where string
	err   error
}

func (e *positionError) Error() string { return e.where + ": " + e.err.Error() }
func (e *positionError) Unwrap() error { return e.err }

// readJSON reads consecutive JSON documents: lines of the exporter, or one
// document over many lines.
func readJSON(br *bufio.Reader, fn func(*tracepb.TracesData) error) error {
	dec := json.NewDecoder(br)
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return &positionError{fmt.Sprintf("record %d", n), fmt.Errorf("malformed JSON: %w", err)}
		}
		td, err := decodeJSON(raw)
		if err != nil {
			return &positionError{fmt.Sprintf("record %d", n), err}
		}
		if err := fn(td); err != nil {
			return err
		}
	}
}

func decodeJSON(raw []byte) (*tracepb.TracesData, error) {
	td := &tracepb.TracesData{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, td); err != nil {
		return nil, fmt.Errorf("malformed OTLP JSON: %s", protoMessage(err))
	}
	if err := hexIDs(td.GetResourceSpans()); err != nil {
		return nil, err
	}
	return td, nil
}

func decodeProto(b []byte) (*tracepb.TracesData, error) {
	td := &tracepb.TracesData{}
	if err := proto.Unmarshal(b, td); err != nil {
		return nil, fmt.Errorf("malformed OTLP protobuf: %s", protoMessage(err))
	}
	return td, nil
}

// readBody reads a file that starts with a newline: one bare protobuf
// body, or JSON after an empty line. JSON is tried first when it looks
// like JSON, since no protobuf body is valid JSON.
func readBody(br *bufio.Reader, fn func(*tracepb.TracesData) error) error {
	b, err := io.ReadAll(io.LimitReader(br, MaxMessage+1))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if len(b) > MaxMessage {
		return fmt.Errorf("a protobuf body larger than %d MiB", MaxMessage>>20)
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] == '{' {
		var all []*tracepb.TracesData
		jerr := readJSON(bufio.NewReader(bytes.NewReader(b)), func(td *tracepb.TracesData) error {
			all = append(all, td)
			return nil
		})
		if jerr == nil {
			for _, td := range all {
				if err := fn(td); err != nil {
					return err
				}
			}
			return nil
		}
		if td, perr := decodeProto(b); perr == nil {
			return fn(td)
		}
		return jerr
	}
	td, err := decodeProto(b)
	if err != nil {
		return err
	}
	return fn(td)
}

// readFramed reads messages each after its 4-byte big-endian length, as
// the exporter writes protobuf and compressed messages.
func readFramed(br *bufio.Reader, fn func(*tracepb.TracesData) error) error {
	var dec *zstd.Decoder
	defer func() {
		if dec != nil {
			dec.Close()
		}
	}()
	var off int64
	for n := 1; ; n++ {
		where := fmt.Sprintf("message %d at byte %d", n, off)
		var size [4]byte
		if _, err := io.ReadFull(br, size[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return &positionError{where, errors.New("truncated length prefix")}
		}
		l := binary.BigEndian.Uint32(size[:])
		if l > MaxMessage {
			return &positionError{where, fmt.Errorf("length prefix %d is over %d MiB: not a file of length-prefixed OTLP messages", l, MaxMessage>>20)}
		}
		// Grow the buffer as bytes arrive, so that a false length costs
		// no more than the file holds.
		var buf bytes.Buffer
		if got, err := io.CopyN(&buf, br, int64(l)); err != nil {
			if errors.Is(err, io.EOF) {
				return &positionError{where, fmt.Errorf("truncated: %d of %d bytes", got, l)}
			}
			return &positionError{where, fmt.Errorf("read: %w", err)}
		}
		off += 4 + int64(l)
		msg := buf.Bytes()
		if bytes.HasPrefix(msg, zstdMagic) {
			if dec == nil {
				var err error
				dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxMessage))
				if err != nil {
					return fmt.Errorf("start zstd: %w", err)
				}
			}
			var err error
			if msg, err = dec.DecodeAll(msg, nil); err != nil {
				return &positionError{where, fmt.Errorf("malformed zstd: %w", err)}
			}
		}
		var td *tracepb.TracesData
		var err error
		if t := bytes.TrimLeft(msg, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			td, err = decodeJSON(msg)
		} else {
			td, err = decodeProto(msg)
		}
		if err != nil {
			return &positionError{where, err}
		}
		if err := fn(td); err != nil {
			return err
		}
	}
}

// hexIDs turns the ids of OTLP JSON into bytes. OTLP JSON spells trace
// and span ids in hex where protojson expects base64 for bytes; a hex
// string is also valid base64, so protojson decodes 32 hex digits into 24
// bytes, and encoding those back gives the digits.
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
					return fmt.Errorf("resourceSpans[%d].scopeSpans[%d].spans[%d]: %w", ri, si, i, err)
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

// protoMessage is the text of a protobuf decoding error. The protobuf
// module puts a no-break space or a space after "proto:" at random, so
// that nobody relies on its messages; the reader's messages are stable.
func protoMessage(err error) string { return strings.ReplaceAll(err.Error(), "\u00a0", " ") }
