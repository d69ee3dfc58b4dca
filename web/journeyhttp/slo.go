package journeyhttp

import (
	"fmt"
	"net/http"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// FindSLO returns a journey's SLO by name, or a 404 naming both.
func FindSLO(j journeys.Journey, name string) (journeys.SLO, error) {
	for _, o := range j.Spec.SLOs {
		if o.Name == name {
			return o, nil
		}
	}
	return journeys.SLO{}, &httpx.Error{Status: http.StatusNotFound,
		Msg: fmt.Sprintf("journey %q has no SLO %q", j.Metadata.Slug, name)}
}
