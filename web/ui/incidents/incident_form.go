package incidents

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/httpx"
)

// readIncidentForm reads the incident editor's inputs as typed.
func readIncidentForm(v url.Values) *IncidentForm {
	return &IncidentForm{
		Title:      strings.TrimSpace(v.Get("title")),
		Severity:   strings.TrimSpace(v.Get("severity")),
		Status:     strings.TrimSpace(v.Get("status")),
		StartedAt:  strings.TrimSpace(v.Get("started_at")),
		DetectedAt: strings.TrimSpace(v.Get("detected_at")),
		ResolvedAt: strings.TrimSpace(v.Get("resolved_at")),
		Journeys:   strings.TrimSpace(v.Get("journeys")),
		Steps:      lines(v.Get("steps")),
		Owner:      strings.TrimSpace(v.Get("owner")),
		// Browsers send text areas with CRLF line ends; the summary is
		// exported as Markdown, where they are noise.
		Summary: strings.ReplaceAll(v.Get("summary"), "\r\n", "\n"),
		TraceID: strings.TrimSpace(v.Get("trace_id")),
		Note:    strings.TrimSpace(strings.ReplaceAll(v.Get("note"), "\r\n", "\n")),
		Step:    strings.TrimSpace(v.Get("step")),
	}
}

// lines keeps the non-blank lines of a text area, trimmed, so that line N
// of the box is always item N-1.
func lines(s string) string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// formIncident builds an incident from the form. Inputs that cannot be read
// at all (a time, a step line) get a message under their path; everything
// else is left to the incident's own validation.
func formIncident(f *IncidentForm) (incident.Incident, map[string]string) {
	errs := map[string]string{}
	in := incident.Incident{
		ID:       f.ID,
		Title:    f.Title,
		Severity: incident.Severity(f.Severity),
		Status:   incident.Status(f.Status),
		Journeys: httpx.SplitList(f.Journeys),
		Owner:    f.Owner,
		Summary:  f.Summary,
		Version:  f.Version,
	}
	var err error
	if in.StartedAt, err = httpx.ParseFormTime(f.StartedAt); err != nil {
		errs["started_at"] = err.Error()
	}
	if in.DetectedAt, err = httpx.ParseFormTime(f.DetectedAt); err != nil {
		errs["detected_at"] = err.Error()
	}
	if in.ResolvedAt, err = httpx.ParseFormTime(f.ResolvedAt); err != nil {
		errs["resolved_at"] = err.Error()
	}
	if f.Steps != "" {
		for i, l := range strings.Split(f.Steps, "\n") {
			ref, err := parseStepRef(l)
			if err != nil {
				errs["steps["+strconv.Itoa(i)+"]"] = "line " + strconv.Itoa(i+1) + ": " + err.Error()
			}
			in.Steps = append(in.Steps, ref)
		}
	}
	return in, errs
}

// incidentForm fills the editor from a stored incident.
func incidentForm(in incident.Incident) *IncidentForm {
	steps := make([]string, len(in.Steps))
	for i, s := range in.Steps {
		steps[i] = s.String()
	}
	return &IncidentForm{
		Editing:    true,
		ID:         in.ID,
		Action:     IncidentPath(in.ID, "/edit"),
		Version:    in.Version,
		Title:      in.Title,
		Severity:   string(in.Severity),
		Status:     string(in.Status),
		StartedAt:  httpx.FormTime(in.StartedAt),
		DetectedAt: httpx.FormTime(in.DetectedAt),
		ResolvedAt: httpx.FormTime(in.ResolvedAt),
		Journeys:   strings.Join(in.Journeys, ", "),
		Steps:      strings.Join(steps, "\n"),
		Owner:      in.Owner,
		Summary:    in.Summary,
		Statuses:   statusOptions(in.Status),
	}
}

// statusOptions are the statuses the editor offers an incident in status
// cur: where it is and where it may go. A new incident (cur empty) may
// start in any.
func statusOptions(cur incident.Status) []string {
	if cur == "" {
		out := make([]string, 0, 4)
		for _, s := range incident.Statuses() {
			out = append(out, string(s))
		}
		return out
	}
	out := []string{}
	for _, s := range incident.Statuses() {
		if s == cur || incident.CheckTransition(cur, s) == nil {
			out = append(out, string(s))
		}
	}
	if !cur.Valid() {
		out = append(out, string(cur))
	}
	return out
}

// renderIncidentForm re-renders the editor with messages beside fields.
func (h *Handler) renderIncidentForm(w http.ResponseWriter, r *http.Request, status int, f *IncidentForm, errs map[string]string) {
	f.SetErrors(errs)
	h.Render(w, r, status, IncidentEdit(h.Site, f))
}
