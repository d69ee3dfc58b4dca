package propagation

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Counts sums the checks of a result.
type Counts struct {
	Passed, Failed, Skipped int
}

// Counts returns how many checks passed, failed and were skipped.
func (r Result) Counts() Counts {
	var c Counts
	for _, j := range r.Journeys {
		for _, ch := range j.Checks {
			switch {
			case ch.Skipped != "":
				c.Skipped++
			case len(ch.Failures) > 0:
				c.Failed++
			default:
				c.Passed++
			}
		}
	}
	return c
}

// WriteText writes one line per failure.
func WriteText(w io.Writer, r Result) error {
	var b strings.Builder
	for _, f := range r.Failures() {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteGitHub writes one GitHub Actions error annotation per failure.
func WriteGitHub(w io.Writer, r Result) error {
	var b strings.Builder
	for _, f := range r.Failures() {
		title := fmt.Sprintf("waymark check: %s %s, step %d", f.Journey, f.Check, f.Step)
		fmt.Fprintf(&b, "::error title=%s::%s\n", escapeProperty(title), escapeData(f.String()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData escapes an annotation's message as the runner unescapes it.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value, where : and , also delimit.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure"`
	Skipped   *junitSkipped `xml:"skipped"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes a JUnit XML report: a test suite per journey, a test
// case per check.
func WriteJUnit(w io.Writer, r Result) error {
	all := junitSuites{Name: "waymark check"}
	for _, j := range r.Journeys {
		s := junitSuite{Name: j.Slug}
		for _, c := range j.Checks {
			tc := junitCase{Name: c.Name, ClassName: "waymark.check." + j.Slug}
			switch {
			case c.Skipped != "":
				tc.Skipped = &junitSkipped{Message: c.Skipped}
				s.Skipped++
			case len(c.Failures) > 0:
				lines := make([]string, len(c.Failures))
				for i, f := range c.Failures {
					lines[i] = f.String()
				}
				msg := c.Failures[0].Message
				if len(c.Failures) > 1 {
					msg = fmt.Sprintf("%d failures; first: %s", len(c.Failures), msg)
				}
				tc.Failure = &junitFailure{Message: msg, Type: c.Name, Text: strings.Join(lines, "\n") + "\n"}
				s.Failures++
			}
			s.Tests++
			s.Cases = append(s.Cases, tc)
		}
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Skipped += s.Skipped
		all.Suites = append(all.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return fmt.Errorf("encode JUnit XML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
