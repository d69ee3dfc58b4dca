package journeyform

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/discover"
	"github.com/waymarkhq/waymark/web/builderhttp"
	"github.com/waymarkhq/waymark/web/httpx"
)

// SuggestedPage is the journeys proposed from the last hour's traffic.
type SuggestedPage struct {
	// Off is set when the server reads no trace source.
	Off    bool
	Result *discover.Result
	// Message says why there are none: the source failed.
	Message string
	Method  string
}

// JourneySuggested lists the journeys proposed from the last hour's
// traffic, each one click from the editor.
func (h *Handler) JourneySuggested(w http.ResponseWriter, r *http.Request) {
	p := SuggestedPage{Off: !h.live, Method: builderhttp.Method}
	if h.live {
		res, err := h.builder.Suggested(r.Context())
		if err != nil {
			e := httpx.Classify(err)
			if e.Status >= 500 && e.Status != http.StatusServiceUnavailable {
				h.Log.ErrorContext(r.Context(), "suggest journeys", "error", err)
			}
			p.Message = e.Msg
		}
		p.Result = res
	}
	h.Render(w, r, http.StatusOK, JourneySuggestedView(h.Site, p))
}
