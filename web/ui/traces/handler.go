// Package traces serves Waymark's own trace page: one trace as a
// waterfall, with the incident actions beside it.
package traces

import (
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Handler serves the trace page, routed in the web package.
type Handler struct {
	*httpx.Base
	traces journeyhttp.Traces
	inc    *incidenthttp.Flow
}

// New returns the trace page's handler.
func New(b *httpx.Base, traces journeyhttp.Traces, inc *incidenthttp.Flow) *Handler {
	return &Handler{Base: b, traces: traces, inc: inc}
}
