package spanstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Config tunes a Receiver. Zero fields take the defaults.
type Config struct {
	// MaxBodyBytes caps a request body, both as sent and after gzip
	// decompression. Default 16 MiB.
	MaxBodyBytes int64
	// QueueSize is how many requests may wait for a writer before the
	// receiver answers 429. Default 64.
	QueueSize int
	// MaxQueuedSpans caps the spans waiting for a writer, which is what
	// bounds memory. A request arriving at an empty queue is always
	// accepted, however large. Default 200,000.
	MaxQueuedSpans int
	// MaxBatchSpans is how many spans one transaction gathers from waiting
	// requests. Default 10,000.
	MaxBatchSpans int
	// Writers is how many transactions run at once. Default 2.
	Writers int
	// Decoders is how many requests are read and decoded at once; the
	// others wait their turn. It is the receiver's CPU budget, so that a
	// flood of spans leaves the rest of the process (pages, jobs) its
	// share. Default half the CPUs, at least one.
	Decoders int
	// RetryAfter is what a 429 or 503 asks the client to wait. Default 1s.
	RetryAfter time.Duration
	// WriteTimeout bounds one batch's transaction, including on shutdown.
	// Default 30s.
	WriteTimeout time.Duration

	// MaxSpanAge refuses spans that started longer ago than this: every
	// distinct day costs a partition, so a client must not be able to
	// create them at will. Zero follows the store's retention: a span older
	// than the retention DropBefore last applied (which it would drop) is
	// refused, and before retention has run no span is too old. Negative
	// accepts spans of any age.
	MaxSpanAge time.Duration
	// MaxSpanAhead refuses spans that start more than this after now, which
	// no clock skew explains and which retention would never drop. Default
	// DefaultMaxSpanAhead; negative accepts any.
	MaxSpanAhead time.Duration
	// Now is the clock the accepted window is measured from; nil is
	// time.Now.
	Now func() time.Time
}

// DefaultMaxSpanAhead is how far in the future a span may start unless
// Config.MaxSpanAhead says otherwise.
const DefaultMaxSpanAhead = time.Hour

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 16 << 20
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 64
	}
	if c.MaxQueuedSpans <= 0 {
		c.MaxQueuedSpans = 200_000
	}
	if c.MaxBatchSpans <= 0 {
		c.MaxBatchSpans = 10_000
	}
	if c.Writers <= 0 {
		c.Writers = 2
	}
	if c.Decoders <= 0 {
		c.Decoders = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.MaxSpanAhead == 0 {
		c.MaxSpanAhead = DefaultMaxSpanAhead
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Receiver is the OTLP/HTTP trace receiver: an http.Handler for POST
// /v1/traces that answers 200 only once the request's spans are committed.
//
// Requests are queued for a few writers, each of which gathers whatever
// requests are waiting into one COPY transaction, so that many small
// concurrent exports cost a few large transactions. Run must be running for
// requests to complete; Close drains the queue.
type Receiver struct {
	store *Store
	cfg   Config
	log   *slog.Logger

	// mu guards closing queue against concurrent sends: senders hold it
	// shared, Close exclusively.
	mu     sync.RWMutex
	closed bool
	queue  chan *pending
	queued atomic.Int64 // spans in queue

	// decoding holds one token per request being read and decoded.
	decoding chan struct{}

	running atomic.Bool
	stopped chan struct{} // closed when Run returns
	stop    sync.Once
}

// pending is one request's spans waiting to be written.
type pending struct {
	rows []spanRow
	done chan error // buffered: the writer never waits for a gone client
}

// errStopped fails requests still queued when the receiver stops without
// draining.
var errStopped = errors.New("receiver stopped")

// NewReceiver returns a Receiver writing to store. A nil log discards.
func NewReceiver(store *Store, cfg Config, log *slog.Logger) *Receiver {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	return &Receiver{
		store:    store,
		cfg:      cfg,
		log:      log,
		queue:    make(chan *pending, cfg.QueueSize),
		decoding: make(chan struct{}, cfg.Decoders),
		stopped:  make(chan struct{}),
	}
}

// ServeHTTP handles one OTLP/HTTP export request. It does not look at the
// path: mount it at /v1/traces.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.fail(w, http.StatusMethodNotAllowed, "method "+req.Method+" not allowed: POST OTLP traces")
		return
	}
	if req.ContentLength > r.cfg.MaxBodyBytes {
		r.fail(w, http.StatusRequestEntityTooLarge, tooLarge(r.cfg.MaxBodyBytes).msg)
		return
	}
	rows, enc, refused, ok := r.decode(w, req)
	if !ok {
		return
	}
	if len(rows) > 0 {
		p := &pending{rows: rows, done: make(chan error, 1)}
		if status, msg := r.enqueue(p); status != 0 {
			r.fail(w, status, msg)
			return
		}
		select {
		case err := <-p.done:
			if err != nil {
				if errors.Is(err, ErrInvalid) {
					r.fail(w, http.StatusBadRequest, err.Error())
					return
				}
				r.log.Error("write spans", "err", err, "spans", len(rows), "remote", req.RemoteAddr)
				r.fail(w, http.StatusServiceUnavailable, "spans not stored, retry later")
				return
			}
		case <-req.Context().Done():
			// The client is gone; its spans are still written, and a retry
			// of the same spans is deduplicated.
			return
		}
	}
	r.respond(w, enc, refused)
}

// decode reads and decodes req's spans within the decoders' budget, and
// keeps those inside the accepted window. It has answered the request
// when ok is false.
func (r *Receiver) decode(w http.ResponseWriter, req *http.Request) (rows []spanRow, enc encoding, refused refusal, ok bool) {
	select {
	case r.decoding <- struct{}{}:
		defer func() { <-r.decoding }()
	case <-req.Context().Done():
		return nil, enc, refused, false
	}
	body := http.MaxBytesReader(w, req.Body, r.cfg.MaxBodyBytes)
	msg, enc, err := decodeRequest(req.Header.Get("Content-Type"), req.Header.Get("Content-Encoding"), body, r.cfg.MaxBodyBytes)
	if err != nil {
		var re *requestError
		if !errors.As(err, &re) {
			re = &requestError{status: http.StatusBadRequest, msg: err.Error()}
		}
		r.fail(w, re.status, re.msg)
		return nil, enc, refused, false
	}
	rows, err = rowsFromResourceSpans(msg.GetResourceSpans())
	if err != nil {
		r.fail(w, http.StatusBadRequest, err.Error())
		return nil, enc, refused, false
	}
	rows, refused = r.window().filter(rows)
	if refused.total() > 0 {
		r.store.countRefused(refused)
		r.log.Debug("refused spans outside the accepted window", "too_old", refused.tooOld, "too_far_ahead", refused.ahead,
			"accepted", len(rows), "remote", req.RemoteAddr)
	}
	return rows, enc, refused, true
}

// enqueue hands p to the writers, or returns the status to refuse it with.
func (r *Receiver) enqueue(p *pending) (int, string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return http.StatusServiceUnavailable, "shutting down, retry later"
	}
	n := int64(len(p.rows))
	if q := r.queued.Add(n); q > int64(r.cfg.MaxQueuedSpans) && q != n {
		r.queued.Add(-n)
		return http.StatusTooManyRequests, "write queue full, retry later"
	}
	select {
	case r.queue <- p:
		return 0, ""
	default:
		r.queued.Add(-n)
		return http.StatusTooManyRequests, "write queue full, retry later"
	}
}

// respond answers a request whose accepted spans are stored, telling the
// client through OTLP's partial success about those refused.
func (r *Receiver) respond(w http.ResponseWriter, enc encoding, refused refusal) {
	resp := &coltracepb.ExportTraceServiceResponse{}
	if n := refused.total(); n > 0 {
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: n, ErrorMessage: refused.message()}
	}
	var body []byte
	var err error
	if enc == encJSON {
		body, err = protojson.Marshal(resp)
	} else {
		body, err = proto.Marshal(resp)
	}
	if err != nil { // cannot happen for these two fields
		r.fail(w, http.StatusInternalServerError, "encode response")
		return
	}
	w.Header().Set("Content-Type", enc.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (r *Receiver) fail(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		h.Set("Retry-After", strconv.Itoa(max(1, int(r.cfg.RetryAfter.Round(time.Second)/time.Second))))
	}
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg)
}

// Run writes queued requests until Close is called, then drains the queue
// and returns nil. If ctx ends first, Run finishes the transactions under
// way, fails the requests still queued (503), refuses new ones, and returns
// ctx's error. Run must be called once.
func (r *Receiver) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("receiver already running")
	}
	defer close(r.stopped)
	stopWatch := context.AfterFunc(ctx, r.shut)
	defer stopWatch()

	var wg sync.WaitGroup
	for range r.cfg.Writers {
		wg.Go(func() { r.write(ctx) })
	}
	wg.Wait()
	return ctx.Err()
}

// Close stops accepting requests (503), waits for Run to write those
// already queued, and returns. It is safe to call more than once.
func (r *Receiver) Close() error {
	r.shut()
	if r.running.Load() {
		<-r.stopped
		return nil
	}
	// Nobody will write what is queued: fail it.
	for p := range r.queue {
		r.queued.Add(-int64(len(p.rows)))
		p.done <- errStopped
	}
	return nil
}

func (r *Receiver) shut() {
	r.stop.Do(func() {
		r.mu.Lock()
		r.closed = true
		close(r.queue)
		r.mu.Unlock()
	})
}

// write is one writer: it takes the next request, gathers whatever else is
// waiting up to MaxBatchSpans, and writes them in one transaction.
func (r *Receiver) write(ctx context.Context) {
	for p := range r.queue {
		batch := []*pending{p}
		n := len(p.rows)
	gather:
		for n < r.cfg.MaxBatchSpans {
			select {
			case q, ok := <-r.queue:
				if !ok {
					break gather
				}
				batch = append(batch, q)
				n += len(q.rows)
			default:
				break gather
			}
		}
		r.queued.Add(-int64(n))
		if ctx.Err() != nil {
			for _, q := range batch {
				q.done <- errStopped
			}
			continue
		}
		r.writeBatch(ctx, batch)
	}
}

func (r *Receiver) writeBatch(ctx context.Context, batch []*pending) {
	// A transaction under way finishes even when ctx ends, so that clients
	// get a true answer; WriteTimeout bounds it.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.WriteTimeout)
	defer cancel()
	rows := make([][]spanRow, len(batch))
	for i, p := range batch {
		rows[i] = p.rows
	}
	start := time.Now()
	inserted, err := r.store.insertRows(wctx, rows)
	if err != nil && len(batch) > 1 && isDataError(err) {
		// One request's spans can fail the transaction it shares with
		// others: write each alone so that only it is refused.
		for _, p := range batch {
			_, err := r.store.insertRows(wctx, [][]spanRow{p.rows})
			p.done <- classify(err)
		}
		return
	}
	err = classify(err)
	if err == nil {
		r.log.Debug("wrote spans", "requests", len(batch), "inserted", inserted, "took", time.Since(start))
	}
	for _, p := range batch {
		p.done <- err
	}
}

// classify marks errors caused by the spans themselves as ErrInvalid.
func classify(err error) error {
	if err != nil && isDataError(err) {
		return fmt.Errorf("%w: refused by the database: %w", ErrInvalid, err)
	}
	return err
}
