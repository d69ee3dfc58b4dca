package journeyform

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Suggestions fill one datalist of the editor.
type Suggestions struct {
	// List is the datalist's id.
	List  string
	Items []suggest.Suggestion
	// Unit is what Count counts: "spans", "sessions".
	Unit string
	// Error says why there are none: the source is down.
	Error string
}

// listID is what a datalist id may hold; anything else the client sends
// is not one of the editor's lists.
var listID = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}$`)

// JourneySuggest answers the editor's type-ahead: the options of one
// datalist (?list=), of what the path names (services, spans, kinds,
// attributes, values, correlation, value-keys), scoped by the step whose
// inputs htmx sends along (?step=N with steps[N].match.service and
// .span), or by ?service= and ?span=. A source that cannot answer leaves
// the list empty with a message beside the field; the field still takes
// whatever is typed.
func (h *Handler) JourneySuggest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	list := q.Get("list")
	if !listID.MatchString(list) {
		h.Fail(w, r, httpx.ParamError("list", "%q is not a list of the editor", list))
		return
	}
	sq := suggest.Query{Service: strings.TrimSpace(q.Get("service")), Span: strings.TrimSpace(q.Get("span"))}
	if i := stepParam(q.Get("step")); i >= 0 {
		p := StepField(i, ".match.")
		sq.Service = strings.TrimSpace(q.Get(p + "service"))
		sq.Span = strings.TrimSpace(q.Get(p + "span"))
	}
	what := chi.URLParam(r, "what")
	s := h.suggestions(r.Context(), list, what, strings.TrimSpace(q.Get("key")), sq)
	if q.Get("as") == "keys" {
		h.Render(w, r, http.StatusOK, suggestionKeys(s))
		return
	}
	h.Render(w, r, http.StatusOK, suggestionList(s))
}

// suggestions asks the builder for one list, wording a failure for the
// field it is beside.
func (h *Handler) suggestions(ctx context.Context, list, what, key string, q suggest.Query) Suggestions {
	s := Suggestions{List: list, Unit: "spans"}
	if what == "correlation" {
		s.Unit = "sessions"
	}
	if what == "spans" && q.Service == "" {
		s.Error = "choose a service to see its span names"
		return s
	}
	items, err := h.builder.Suggest(ctx, what, key, q)
	if err != nil {
		e := httpx.Classify(err)
		s.Error = "No suggestions: " + e.Msg
		if e.Status >= 500 && e.Status != http.StatusServiceUnavailable {
			h.Log.ErrorContext(ctx, "suggest", "what", what, "error", err)
		}
		return s
	}
	if what == "correlation" {
		// Trace is always a correlation, and the commonest.
		items = append([]suggest.Suggestion{{Value: "trace"}}, items...)
	}
	s.Items = items
	return s
}

// servicesFor is the services datalist of step i, filled with the
// services the page was rendered with.
func servicesFor(f *JourneyForm, i int) Suggestions {
	s := f.Services
	s.List = "services-" + strconv.Itoa(i)
	if i > 0 {
		// Only the first step's list carries the message.
		s.Error = ""
	}
	return s
}

// offers are keys offered without counts.
func offers(keys []string) []suggest.Suggestion {
	out := make([]suggest.Suggestion, len(keys))
	for i, k := range keys {
		out[i] = suggest.Suggestion{Value: k}
	}
	return out
}

// spansFor is the span names datalist of step i.
func spansFor(f *JourneyForm, i int) Suggestions {
	if i < len(f.SpanLists) {
		return f.SpanLists[i]
	}
	return Suggestions{List: "spans-" + strconv.Itoa(i)}
}
