package api

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// PreviewOut is a journey's preview as the API answers it: durations both
// in milliseconds and in words.
type PreviewOut struct {
	From    time.Time         `json:"from"`
	To      time.Time         `json:"to"`
	Steps   []PreviewStep     `json:"steps"`
	Funnel  PreviewFunnel     `json:"funnel"`
	Partial bool              `json:"partial"`
	Reason  string            `json:"reason,omitempty"`
	Spans   int64             `json:"spans_read"`
	TookMS  float64           `json:"took_ms"`
	Traces  map[string]string `json:"trace_urls"`
}

// PreviewStep is what one step's pattern matched.
type PreviewStep struct {
	Name      string   `json:"name"`
	Spans     int64    `json:"spans"`
	Errors    int64    `json:"errors"`
	ErrorRate float64  `json:"error_rate"`
	P95MS     float64  `json:"p95_ms"`
	P95       string   `json:"p95"`
	Samples   []string `json:"samples"`
	Read      bool     `json:"read"`
	Unmatched bool     `json:"unmatched"`
	Warning   string   `json:"warning,omitempty"`
}

// PreviewFunnel is how far the instances entering in the range got.
type PreviewFunnel struct {
	Entered   int64               `json:"entered"`
	Completed int64               `json:"completed"`
	InFlight  int64               `json:"in_flight"`
	Steps     []PreviewFunnelStep `json:"steps"`
}

// PreviewFunnelStep is one step of the funnel; the times are from the
// previous step, zero for the first.
type PreviewFunnelStep struct {
	Name              string  `json:"name"`
	Reached           int64   `json:"reached"`
	Conversion        float64 `json:"conversion"`
	Overall           float64 `json:"overall"`
	FromPreviousP50MS float64 `json:"from_previous_p50_ms"`
	FromPreviousP95MS float64 `json:"from_previous_p95_ms"`
	FromPreviousP50   string  `json:"from_previous_p50"`
	FromPreviousP95   string  `json:"from_previous_p95"`
}

// JourneyPreview runs the journey in the body (JSON or YAML, as PUT takes
// it; slug and name may be left out) over the last hour, or over ?range=
// or ?from=&to=, without saving it.
func (h *Handler) JourneyPreview(w http.ResponseWriter, r *http.Request) {
	j, err := readJourneyBody(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	req := preview.Request{Journey: j}
	q := r.URL.Query()
	if q.Get("range") != "" || q.Get("from") != "" || q.Get("to") != "" {
		win, err := journeyhttp.ParseWindow(q, h.Now())
		if err != nil {
			h.Fail(w, r, err)
			return
		}
		req.From, req.To = win.From, win.To
	}
	p, err := h.builder.Preview(r.Context(), req)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, ToPreviewOut(p, h.TraceURL))
}

// ToPreviewOut shapes a preview for the API, linking its sample traces.
func ToPreviewOut(p *preview.Preview, traceURL func(string) string) PreviewOut {
	out := PreviewOut{From: p.From, To: p.To, Partial: p.Partial, Reason: p.Reason, Spans: p.Spans,
		TookMS: ms(p.Took), Traces: map[string]string{}, Steps: make([]PreviewStep, len(p.Steps)),
		Funnel: PreviewFunnel{Entered: p.Funnel.Entered, Completed: p.Funnel.Completed, InFlight: p.Funnel.InFlight,
			Steps: make([]PreviewFunnelStep, len(p.Funnel.Steps))}}
	for i, s := range p.Steps {
		out.Steps[i] = PreviewStep{Name: s.Name, Spans: s.Spans, Errors: s.Errors, ErrorRate: s.ErrorRate,
			P95MS: ms(s.P95), P95: words(s.P95), Samples: s.Samples, Read: s.Read, Unmatched: s.Unmatched, Warning: s.Warning}
		for _, id := range s.Samples {
			out.Traces[id] = traceURL(id)
		}
	}
	for i, f := range p.Funnel.Steps {
		fs := PreviewFunnelStep{Reached: f.Reached, Conversion: f.Conversion, Overall: f.Overall,
			FromPreviousP50MS: ms(f.FromPreviousP50), FromPreviousP95MS: ms(f.FromPreviousP95),
			FromPreviousP50: words(f.FromPreviousP50), FromPreviousP95: words(f.FromPreviousP95)}
		if i < len(p.Steps) {
			fs.Name = p.Steps[i].Name
		}
		out.Funnel.Steps[i] = fs
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// words is a duration as people write it: "340ms", "1.2s", "3m5s".
func words(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// readJourneyBody reads one journey from a JSON or YAML body.
func readJourneyBody(r *http.Request) (journeys.Journey, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	var decode func([]byte) (journeys.Journey, error)
	switch {
	case ct == "":
		return journeys.Journey{}, httpx.Errorf(http.StatusUnsupportedMediaType, "missing Content-Type: send application/json or application/yaml")
	case err != nil:
		return journeys.Journey{}, httpx.Errorf(http.StatusUnsupportedMediaType, "malformed Content-Type %q: send application/json or application/yaml", ct)
	case mt == "application/json":
		decode = journeys.DecodeJSON
	case isYAMLType(mt):
		decode = decodeOneYAML
	default:
		return journeys.Journey{}, httpx.Errorf(http.StatusUnsupportedMediaType, "unsupported Content-Type %q: send application/json or application/yaml", mt)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return journeys.Journey{}, fmt.Errorf("read body: %w", err)
	}
	j, err := decode(body)
	if err != nil {
		return journeys.Journey{}, decodeError(err)
	}
	return j, nil
}
