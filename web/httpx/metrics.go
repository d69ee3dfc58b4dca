package httpx

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is what /metrics keeps between scrapes: the HTTP server's
// counters and the Go runtime's. Everything about journeys, SLOs and jobs
// is read afresh on each scrape, so that a deleted SLO or journey leaves no
// stale series behind.
type Metrics struct {
	// Reg holds the counters, for /metrics to gather.
	Reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the request counters and the Go runtime's.
func NewMetrics() *Metrics {
	m := &Metrics{
		Reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "waymark_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "waymark_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	m.Reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Routes without a pattern (unknown URLs) share one label, so that
// scanners cannot blow up the number of series.
const unmatchedRoute = "unmatched"

// methodLabel keeps the method label to the methods HTTP defines.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// Instrument counts and times every request under the route pattern that
// served it (/journeys/{slug}), never the raw path.
func (b *Base) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := wrap(w)
		returned := false
		defer func() {
			status := sw.status
			switch {
			case !returned && status == 0:
				// A panic on its way to recoverPanics, which answers 500.
				status = http.StatusInternalServerError
			case status == 0 && ClientGone(r):
				status = StatusClientClosed
			case status == 0:
				status = http.StatusOK
			}
			route := routePattern(r)
			method := methodLabel(r.Method)
			b.Metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
			b.Metrics.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
		returned = true
	})
}

// routePattern is the route that served r (/journeys/{slug}), for logs and
// metrics, or unmatchedRoute.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" && p != "/*" {
			return p
		}
	}
	return unmatchedRoute
}
