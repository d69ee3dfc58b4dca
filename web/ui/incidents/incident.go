package incidents

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/incident"
)

// parseStepRef reads "journey / step". A journey slug holds no slash, so
// the first one separates the two and a step name may contain more.
func parseStepRef(s string) (incident.StepRef, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return incident.StepRef{}, nil
	}
	j, st, ok := strings.Cut(s, "/")
	j, st = strings.TrimSpace(j), strings.TrimSpace(st)
	if !ok || j == "" || st == "" {
		return incident.StepRef{}, fmt.Errorf("write journey / step, e.g. shop-checkout / Payment")
	}
	return incident.StepRef{Journey: j, Step: st}, nil
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// liveRows adds to each linked trace whether the trace source still holds
// it, asking a few at a time.
func (h *Handler) liveRows(ctx context.Context, links []incident.LinkedTrace) []LinkedTraceRow {
	rows := make([]LinkedTraceRow, len(links))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, l := range links {
		rows[i] = LinkedTraceRow{LinkedTrace: l, External: h.ExternalTraceURL(l.TraceID)}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows[i].Live = h.liveText(ctx, l.TraceID)
		}()
	}
	wg.Wait()
	return rows
}

// liveText says whether the trace source still holds a trace: "yes", "no",
// or "unknown" when it could not say.
func (h *Handler) liveText(ctx context.Context, traceID string) string {
	live, err := h.incidents.LiveStatus(ctx, traceID)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			h.Log.LogAttrs(ctx, slog.LevelWarn, "check live trace", slog.String("trace_id", traceID), slog.String("error", err.Error()))
		}
		return "unknown"
	case live:
		return "yes"
	}
	return "no"
}

// postmortem drafts an incident's post-mortem exactly as the download
// serves it.
func (h *Handler) postmortem(ctx context.Context, in incident.Incident) ([]byte, error) {
	deploys, alerts, err := h.inc.TimelineEvents(ctx, in)
	if err != nil {
		return nil, err
	}
	return h.incidents.Postmortem(ctx, in.ID, h.postmortemOptions(deploys, alerts))
}

// postmortemOptions are what every post-mortem draft links to and shows.
func (h *Handler) postmortemOptions(deploys, alerts []incident.Event) incident.PostmortemOptions {
	return incident.PostmortemOptions{
		PublicURL:        h.publicURL,
		TraceURLTemplate: h.TraceURLTemplate,
		Deploys:          deploys,
		Alerts:           alerts,
	}
}

// transitions are the statuses an incident in status cur may move to.
func transitions(cur incident.Status) []incident.Status {
	var out []incident.Status
	for _, s := range incident.Statuses() {
		if s != cur && incident.CheckTransition(cur, s) == nil {
			out = append(out, s)
		}
	}
	return out
}
