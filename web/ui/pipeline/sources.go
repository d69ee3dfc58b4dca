package pipeline

import (
	"net/http"
	"strconv"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// SourcesPage is the trace source and each journey's rollup cost.
type SourcesPage struct {
	Status journeyhttp.SourceStatus
	// Rollups is false on a server that computes none.
	Rollups bool
}

// Sources shows the trace source and, per journey, whether its rollups
// keep up and what the last run read, so that an operator sees the cost
// of a journey before the source's bill does.
func (h *Handler) Sources(w http.ResponseWriter, r *http.Request) {
	var fs []rollup.Freshness
	if h.Site.Rollups {
		var err error
		if fs, err = h.rollups.AllFreshness(r.Context()); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	p := SourcesPage{Rollups: h.Site.Rollups, Status: journeyhttp.NewSourceStatus(h.source, fs, h.Now())}
	h.Render(w, r, http.StatusOK, SourcesShow(h.Site, p))
}

// sourceName is the source as a person names it.
func sourceName(kind string) string {
	switch kind {
	case "tempo":
		return "Grafana Tempo"
	case "embedded", "":
		return "Embedded trace store"
	}
	return kind
}

// ampText writes an amplification as "1.02×", or a dash before any new
// span was read.
func ampText(f float64) string {
	if f == 0 {
		return "–"
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + "×"
}

// bytesText writes a byte count in the largest unit that keeps it above 1.
func bytesText(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, u := float64(n), 0
	for f >= unit && u < 4 {
		f /= unit
		u++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + []string{"B", "kB", "MB", "GB", "TB"}[u]
}
