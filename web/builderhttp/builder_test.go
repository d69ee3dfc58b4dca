package builderhttp

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
	"github.com/waymarkhq/waymark/web/httpx"
)

func TestWordTellsABadQuestionFromAFailingSource(t *testing.T) {
	e := httpx.Classify(Word(&suggest.SourceError{Source: "Tempo", Reason: "is unavailable (HTTP 503)", Err: errors.New("503")}))
	require.Equal(t, http.StatusServiceUnavailable, e.Status)
	require.Equal(t, "Tempo is unavailable (HTTP 503)", e.Msg)

	e = httpx.Classify(Word(fmtBad()))
	require.Equal(t, http.StatusBadRequest, e.Status)
	require.Equal(t, "span names need a service", e.Msg)

	require.NoError(t, Word(nil))
}

func fmtBad() error {
	_, err := suggest.New(nil, suggest.Options{Name: "x"}).SpanNames(context.Background(), suggest.Query{})
	return err
}

func TestOffSaysThereIsNoTraceSource(t *testing.T) {
	ctx := context.Background()
	_, err := Off{}.Suggest(ctx, "services", "", suggest.Query{})
	require.ErrorIs(t, err, httpx.ErrNoTraces)
	_, err = Off{}.Preview(ctx, previewRequest())
	require.ErrorIs(t, err, httpx.ErrNoTraces)
	_, err = Off{}.Suggested(ctx)
	require.ErrorIs(t, err, httpx.ErrNoTraces)
}

func previewRequest() preview.Request { return preview.Request{} }

// failingSource fails every span read, as a trace source that answers 500.
// Its suggestion half is never asked.
type failingSource struct {
	*spanSource
	suggest.Source
}

type spanSource = rolluptest.Source

func (f failingSource) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	return f.spanSource.FetchSpans(ctx, q, fn)
}

func (f failingSource) AttributeNames(ctx context.Context, from, to time.Time) ([]string, error) {
	return f.spanSource.AttributeNames(ctx, from, to)
}

func (f failingSource) AttributeValues(ctx context.Context, key string, from, to time.Time) ([]string, error) {
	return f.spanSource.AttributeValues(ctx, key, from, to)
}

// TestPreviewSaysTheSourceFailed: a preview whose span reads fail is the
// trace source's failure (502 in words), not an internal server error.
func TestPreviewSaysTheSourceFailed(t *testing.T) {
	src := &rolluptest.Source{}
	src.SetError(errors.New("tempo /api/search: status 500: boom"))
	b := New(failingSource{spanSource: src}, Options{})
	b64, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b64)
	require.NoError(t, err)
	_, err = b.Preview(context.Background(), preview.Request{Journey: js[0]})
	e := httpx.Classify(err)
	require.Equal(t, http.StatusBadGateway, e.Status)
	require.Equal(t, "the trace source failed to answer the preview; try again, or a shorter range", e.Msg)
}
