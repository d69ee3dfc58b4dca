package journeyform

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/journeys"
)

// fieldLabels name the form's fields as their labels do.
var fieldLabels = map[string]string{
	"metadata": "Journey", "metadata.slug": "Slug", "metadata.name": "Name", "metadata.owner": "Owner",
	"metadata.description": "Description", "correlation": "Correlation", "correlation.by": "Correlate by",
	"correlation.window": "Conversion window", "segments": "Segments", "value": "Value attribute",
	"steps": "Steps", "slos": "SLOs", "apiVersion": "API version", "kind": "Kind",
}

// stepLabels and sloLabels name the fields of a step and of an SLO.
var (
	stepLabels = map[string]string{
		"": "", ".name": "name", ".match": "pattern", ".match.service": "service", ".match.span": "span name",
		".match.spanRegex": "span name regex", ".match.kind": "span kind", ".match.attributes": "attribute matchers",
	}
	sloLabels = map[string]string{
		"": "", ".name": "name", ".step": "step", ".kind": "kind", ".threshold": "latency threshold",
		".objective": "objective", ".window": "window", ".weekStart": "week start", ".timeZone": "time zone",
		".minEvents": "minimum events", ".resolveAfter": "resolve after",
	}
	rowPath  = regexp.MustCompile(`^(steps|slos)\[(\d+)\](.*)$`)
	linePath = regexp.MustCompile(`^(.*)\.match\.attributes\[(\d+)\].*$`)
	rowRef   = regexp.MustCompile(`\b(steps|slos)\[(\d+)\]`)
)

// FieldLabel names the field at a validation path as the form labels it,
// for the summary at the top of the form: "Step 2 service" rather than
// steps[1].match.service.
func FieldLabel(path string) string {
	if l, ok := fieldLabels[path]; ok {
		return l
	}
	if strings.HasPrefix(path, "segments[") {
		return "Segments"
	}
	line := ""
	if m := linePath.FindStringSubmatch(path); m != nil {
		n, _ := strconv.Atoi(m[2])
		path, line = m[1]+".match.attributes", fmt.Sprintf(", line %d", n+1)
	}
	m := rowPath.FindStringSubmatch(path)
	if m == nil {
		return path
	}
	n, _ := strconv.Atoi(m[2])
	row, labels := "Step "+strconv.Itoa(n+1), stepLabels
	if m[1] == "slos" {
		row, labels = "SLO "+strconv.Itoa(n+1), sloLabels
	}
	field, ok := labels[m[3]]
	if !ok {
		field = strings.TrimPrefix(m[3], ".")
	}
	return strings.TrimSpace(row+" "+field) + line
}

// formMessages words validation messages for the form: rows are named as
// the form numbers them ("also step 1", not steps[0]), and too few steps
// counts the cards filled in rather than the rows the journey had.
func formMessages(errs map[string]string, filled int) map[string]string {
	out := make(map[string]string, len(errs))
	for p, msg := range errs {
		msg = rowRef.ReplaceAllStringFunc(msg, func(ref string) string {
			m := rowRef.FindStringSubmatch(ref)
			n, _ := strconv.Atoi(m[2])
			if m[1] == "slos" {
				return "SLO " + strconv.Itoa(n+1)
			}
			return "step " + strconv.Itoa(n+1)
		})
		if p == "steps" && filled < journeys.MinSteps {
			msg = fmt.Sprintf("a journey needs at least %d steps; fill in the service or span name of each (%s filled in)",
				journeys.MinSteps, filledWords(filled))
		}
		out[p] = msg
	}
	return out
}

func filledWords(n int) string {
	switch n {
	case 0:
		return "none is"
	case 1:
		return "1 is"
	}
	return strconv.Itoa(n) + " are"
}
