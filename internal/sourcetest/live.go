package sourcetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
)

// Live is a real Tempo to test against: WAYMARK_TEST_TEMPO_URL names its
// HTTP API, WAYMARK_TEST_TEMPO_OTLP_URL its OTLP/HTTP endpoint (by default
// the same host on port 4318) and WAYMARK_TEST_TEMPO_TENANT the
// X-Scope-OrgID to send.
type Live struct {
	Source *tempo.Source
	otlp   string
	tenant string
}

// LiveTempo returns the Tempo of WAYMARK_TEST_TEMPO_URL, or skips the test
// when it is not set.
func LiveTempo(tb testing.TB) *Live {
	tb.Helper()
	base := os.Getenv("WAYMARK_TEST_TEMPO_URL")
	if base == "" {
		tb.Skip("WAYMARK_TEST_TEMPO_URL is not set")
	}
	otlp := os.Getenv("WAYMARK_TEST_TEMPO_OTLP_URL")
	if otlp == "" {
		u, err := url.Parse(base)
		if err != nil {
			tb.Fatalf("sourcetest: WAYMARK_TEST_TEMPO_URL: %v", err)
		}
		otlp = "http://" + u.Hostname() + ":4318"
	}
	tenant := os.Getenv("WAYMARK_TEST_TEMPO_TENANT")
	c, err := tempo.New(tempo.Options{BaseURL: base, Tenant: tenant})
	if err != nil {
		tb.Fatalf("sourcetest: tempo client: %v", err)
	}
	return &Live{Source: tempo.NewSource(c, tempo.SourceOptions{}), otlp: otlp + "/v1/traces", tenant: tenant}
}

// Send posts rss to Tempo's OTLP endpoint and waits until the spans of
// pattern are searchable: want of them in [from, to).
func (l *Live) Send(tb testing.TB, rss []*tracepb.ResourceSpans, pattern journeys.Pattern, want int, from, to time.Time) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const batch = 500
	for i := 0; i < len(rss); i += batch {
		body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rss[i:min(i+batch, len(rss))]})
		if err != nil {
			tb.Fatalf("sourcetest: encode spans: %v", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.otlp, bytes.NewReader(body))
		if err != nil {
			tb.Fatalf("sourcetest: %v", err)
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		if l.tenant != "" {
			req.Header.Set("X-Scope-OrgID", l.tenant)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatalf("sourcetest: send spans to %s: %v", l.otlp, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			tb.Fatalf("sourcetest: send spans to %s: %s: %s", l.otlp, resp.Status, msg)
		}
	}
	// Tempo makes spans searchable a few seconds after it accepts them.
	for {
		n := 0
		_, err := l.Source.FetchSpans(ctx, journeys.SpanQuery{Pattern: pattern, From: from, To: to}, func(journeys.Span) error { n++; return nil })
		if err == nil && n >= want {
			return
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("sourcetest: %d of %d spans searchable after 3 minutes (last error: %v)", n, want, err)
		case <-time.After(3 * time.Second):
		}
	}
}

// Environment is a deployment.environment of the test's own, so that
// other traffic in a shared Tempo does not disturb exact counts.
func Environment() string { return fmt.Sprintf("waymark-live-%d", time.Now().UnixNano()) }
