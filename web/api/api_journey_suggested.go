package api

import (
	"net/http"
	"time"

	"github.com/waymarkhq/waymark/internal/discover"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/builderhttp"
)

// SuggestedOut is what discovery proposes, as the API answers it.
type SuggestedOut struct {
	From       time.Time      `json:"from"`
	To         time.Time      `json:"to"`
	Candidates []SuggestedOne `json:"candidates"`
	// Sessions and Traces count the sequences mined; the *_seen counts
	// those there were before sampling.
	Sessions     int    `json:"sessions"`
	SessionsSeen int    `json:"sessions_seen"`
	Traces       int    `json:"traces"`
	TracesSeen   int    `json:"traces_seen"`
	Spans        int64  `json:"spans_read"`
	Partial      bool   `json:"partial"`
	Reason       string `json:"reason,omitempty"`
	Method       string `json:"method"`
}

// SuggestedOne is one proposed journey: its YAML, ready for PUT, and how
// many sessions or traces went through it.
type SuggestedOne struct {
	Slug      string `json:"slug"`
	Summary   string `json:"summary"`
	By        string `json:"by"`
	Completed int64  `json:"completed"`
	Entered   int64  `json:"entered"`
	YAML      string `json:"yaml"`
}

// JourneySuggested proposes journeys from the last hour's traffic, as
// journey YAML bodies with the sessions or traces that went through them.
func (h *Handler) JourneySuggested(w http.ResponseWriter, r *http.Request) {
	res, err := h.builder.Suggested(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	out, err := ToSuggestedOut(res)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, out)
}

// ToSuggestedOut shapes a discovery for the API.
func ToSuggestedOut(res *discover.Result) (SuggestedOut, error) {
	out := SuggestedOut{From: res.From, To: res.To, Sessions: res.Sessions, SessionsSeen: res.SessionsSeen,
		Traces: res.Traces, TracesSeen: res.TracesSeen, Spans: res.Spans, Partial: res.Partial, Reason: res.Reason,
		Method: builderhttp.Method, Candidates: make([]SuggestedOne, len(res.Candidates))}
	for i, c := range res.Candidates {
		y, err := journeys.EncodeYAML(c.Journey)
		if err != nil {
			return SuggestedOut{}, err
		}
		out.Candidates[i] = SuggestedOne{Slug: c.Journey.Metadata.Slug, Summary: c.Summary, By: c.By,
			Completed: c.Completed, Entered: c.Entered, YAML: string(y)}
	}
	return out, nil
}
