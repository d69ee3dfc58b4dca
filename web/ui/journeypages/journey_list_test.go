package journeypages

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/ui/slos"
)

func TestWorstSLOPagesBeforeTicketsThenLeastBudget(t *testing.T) {
	ok := slos.SLOBadge{Name: "a", Evaluated: true, State: slos.SLOStateOK, BudgetRemaining: 0.2}
	okLow := slos.SLOBadge{Name: "b", Evaluated: true, State: slos.SLOStateOK, BudgetRemaining: 0.1}
	ticket := slos.SLOBadge{Name: "c", Evaluated: true, State: slos.SLOStateTicket, BudgetRemaining: 0.5}
	page := slos.SLOBadge{Name: "d", Evaluated: true, State: slos.SLOStatePage, BudgetRemaining: 0.9}
	require.Nil(t, worstSLO(nil))
	require.Equal(t, []slos.SLOBadge{okLow}, worstSLO([]slos.SLOBadge{ok, okLow}))
	require.Equal(t, []slos.SLOBadge{ticket}, worstSLO([]slos.SLOBadge{ok, ticket, okLow}))
	require.Equal(t, []slos.SLOBadge{page}, worstSLO([]slos.SLOBadge{ok, ticket, page}))
}

func TestSparkIsConversionOfPointsAnyoneEnteredIn(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	series := []rollup.StepSeries{
		{Step: 0, Points: []rollup.Point{{Start: at, Reached: 10}, {Start: at.Add(5 * time.Minute)}, {Start: at.Add(10 * time.Minute), Reached: 4}}},
		{Step: 1, Points: []rollup.Point{{Start: at, Reached: 6}, {Start: at.Add(5 * time.Minute)}, {Start: at.Add(10 * time.Minute), Reached: 1}}},
	}
	require.Equal(t, []float64{0.6, 0.25}, sparkOf(series))
	require.Nil(t, sparkOf(series[:1]))
	require.Equal(t, "conversion per 5 minutes over the last hour, 2 points, last 25%", sparkLabel([]float64{0.6, 0.25}))
}
