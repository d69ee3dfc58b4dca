package builderhttp

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/internal/suggest"
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
