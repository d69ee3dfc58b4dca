package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
	"github.com/waymarkhq/waymark/migrations"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/builderhttp"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// bundle is what a test needs: the handler under test, on its own database.
type bundle struct {
	handler http.Handler
	store   *journeystore.Store
	pool    *pgxpool.Pool
	logs    *bytes.Buffer
	rollups *rollup.Store
	// acc are the accounts, one per role; nil on a server without them.
	acc *accounts
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return setupWith(t, nil)
}

// setupWith is setup with options changed by edit (nil changes nothing).
// By default the handler has a rollup store on the test database, no trace
// source, and accounts (see withAccounts), requests made with do signed in
// as the editor.
func setupWith(t testing.TB, edit func(*Options)) *bundle {
	t.Helper()
	return setupAccounts(t, nil, edit)
}

// setupAccounts is setupWith with auth's options changed by authEdit.
func setupAccounts(t testing.TB, authEdit func(*auth.Options), edit func(*Options)) *bundle {
	t.Helper()
	pool := pgtest.New(t)
	st := journeystore.New(pool)
	logs := &bytes.Buffer{}
	opts := Options{
		Store:          st,
		Journeys:       testJourneys(t, pool),
		DB:             st,
		SchemaCheck:    func(ctx context.Context) error { return migrations.Check(ctx, pool) },
		Logger:         slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil)),
		Version:        "v-test",
		Rollups:        rollup.NewStore(pool),
		Traces:         journeyhttp.TracesOff{},
		Incidents:      incidenthttp.Off{},
		IncidentEvents: NoIncidentEvents,
		Alerting:       alerthttp.Off{},
		JobCounts:      JobsOff{},
	}
	acc := withAccounts(t, pool, &opts, authEdit)
	if edit != nil {
		edit(&opts)
	}
	if opts.Auth == nil {
		acc = nil
	}
	return &bundle{handler: New(offs(opts)), store: st, pool: pool, logs: logs, rollups: rollup.NewStore(pool), acc: acc}
}

// testJourneys is the journey change service on pool; the recomputes it
// queues stay queued, as no worker runs.
func testJourneys(t testing.TB, pool *pgxpool.Pool) *journeyedit.Service {
	t.Helper()
	inserter, err := jobs.NewInserter(pool, nil)
	require.NoError(t, err)
	return journeyedit.New(pool, inserter, journeyedit.Options{})
}

// lockedWriter lets the logger write from the handler while a test reads.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// do sends one request as the editor (anonymously on a server without
// accounts); headers are name, value pairs.
func (b *bundle) do(t testing.TB, method, target string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	who := anonymous
	if b.acc != nil {
		who = withCookie(b.acc.session)
	}
	return b.send(t, who, method, target, body, headers...)
}

// postForm submits a form as a browser on Waymark's own pages would.
func (b *bundle) postForm(t *testing.T, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return b.do(t, http.MethodPost, target, strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
}

func page(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(rec.Body.Bytes()))
	require.NoError(t, err)
	return doc
}

// testID finds elements by data-testid.
func testID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

// inputValue is the value an input named name will submit.
func inputValue(doc *goquery.Document, name string) string {
	sel := doc.Find(`[name="` + name + `"]`)
	switch goquery.NodeName(sel) {
	case "textarea":
		return sel.Text()
	case "select":
		v, _ := sel.Find("option[selected]").Attr("value")
		return v
	}
	v, _ := sel.Attr("value")
	return v
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// example returns a journey the demo shop ships, as decoded from its file.
func example(t *testing.T, slug string) (journeys.Journey, []byte) {
	t.Helper()
	b, err := examples.FS.ReadFile(slug + ".yaml")
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	require.Len(t, js, 1)
	return js[0], b
}

// seed stores an example journey directly.
func (b *bundle) seed(t *testing.T, slug string) journeystore.JourneyRecord {
	t.Helper()
	j, _ := example(t, slug)
	rec, err := b.store.CreateJourney(context.Background(), j, "seed")
	require.NoError(t, err)
	return rec
}

type goquerySelection = goquery.Selection

func itoa(i int) string { return strconv.Itoa(i) }

// cells is a table row's cells, trimmed, joined by " | ".
func cells(tr *goquery.Selection) string {
	var out []string
	tr.Find("td").Each(func(_ int, td *goquery.Selection) {
		out = append(out, squash(td.Text()))
	})
	return strings.Join(out, " | ")
}

var dbSeq atomic.Int64

func randomSuffix() string {
	return fmt.Sprintf("%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, dbSeq.Add(1))
}

// offs fills in the features o leaves out with their Off stand-ins, as a
// server that runs without them is wired.
func offs(o Options) Options {
	if o.Rollups == nil {
		o.Rollups = journeyhttp.RollupsOff{}
	}
	if o.Traces == nil {
		o.Traces = journeyhttp.TracesOff{}
	}
	if o.Incidents == nil {
		o.Incidents = incidenthttp.Off{}
	}
	if o.IncidentEvents == nil {
		o.IncidentEvents = NoIncidentEvents
	}
	if o.Alerting == nil {
		o.Alerting = alerthttp.Off{}
	}
	if o.JobCounts == nil {
		o.JobCounts = JobsOff{}
	}
	if o.Builder == nil {
		o.Builder = builderhttp.Off{}
	}
	return o
}

// A server whose jobs are not its to count reports none.
func TestJobsOff(t *testing.T) {
	t.Parallel()
	got, err := JobsOff{}.JobCounts(context.Background())
	require.NoError(t, err)
	require.Empty(t, got)
}
