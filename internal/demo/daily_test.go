package demo

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var daily = DailyPattern{Enabled: true, Night: 0.25, Weekend: 1, Zone: "UTC"}

// monday is 2026-03-02, a Monday.
var monday = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func TestDailyCurveShape(t *testing.T) {
	t.Parallel()
	c := newRateCurve(daily)
	var sum, lo, hi float64
	lo = math.Inf(1)
	peak := 0
	for m, f := range c.day {
		sum += f
		lo = min(lo, f)
		if f > hi {
			hi, peak = f, m
		}
	}
	require.InDelta(t, 1, sum/minutesPerDay, 1e-12, "the rate is the mean over a day")
	require.InDelta(t, 0.25, lo/hi, 1e-12, "night is a quarter of the peak")
	require.True(t, peak == 12*60+59 || peak == 13*60, "peak at 13:00, got minute %d", peak)
	at := func(h, m int) float64 {
		return c.at(monday.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute))
	}
	// Quiet at night, the evening shoulder above the late afternoon.
	require.Less(t, at(2, 0), 0.5)
	require.Greater(t, at(20, 30), at(17, 30))
	require.Less(t, at(20, 30), at(13, 0))
	// Constant within a minute, whatever the second.
	require.Equal(t, at(9, 17), c.at(monday.Add(9*time.Hour+17*time.Minute+59*time.Second)))

	// A zone moves the curve by its offset: Paris is UTC+1 in March.
	paris := daily
	paris.Zone = "Europe/Paris"
	cp := newRateCurve(paris)
	require.Equal(t, at(13, 0), cp.at(monday.Add(12*time.Hour)))
	// The weekend factor applies on the zone's Saturday and Sunday.
	wk := daily
	wk.Weekend = 0.5
	cw := newRateCurve(wk)
	sat := monday.Add(-2 * 24 * time.Hour)
	require.Equal(t, at(13, 0)*0.5, cw.at(sat.Add(13*time.Hour)))
	require.Equal(t, at(13, 0), cw.at(monday.Add(13*time.Hour)))
	require.InDelta(t, 2*86400*0.5, cw.integral(sat, monday), 1e-6)
	require.InDelta(t, 86400, cw.integral(monday, monday.Add(24*time.Hour)), 1e-6)

	off := newRateCurve(DailyPattern{})
	require.Equal(t, 1.0, off.at(monday))
	require.Equal(t, 90.0, off.integral(monday, monday.Add(90*time.Second)))
}

func TestDailyCurveAdvanceInvertsTheIntegral(t *testing.T) {
	t.Parallel()
	c := newRateCurve(daily)
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		from := monday.Add(time.Duration(r.Int64N(int64(48 * time.Hour))))
		w := r.ExpFloat64() * 600
		to := c.advance(from, w)
		require.InDelta(t, w, c.integral(from, to), 1e-6, "%s + %v", from, w)
	}
	// Off, a gap is a gap.
	require.Equal(t, monday.Add(1500*time.Millisecond), newRateCurve(DailyPattern{}).advance(monday, 1.5))
}

// Run draws its gaps at -rate through advance: over a weekday that makes
// -rate the mean, the count being Poisson with mean rate × 86400.
func TestDailyLiveRateIsTheMeanOverADay(t *testing.T) {
	t.Parallel()
	c := newRateCurve(daily)
	r := rand.New(rand.NewPCG(11, 12))
	const rate = 2.0
	end := monday.Add(24 * time.Hour)
	perHour := make([]int, 24)
	n := 0
	for next := monday; next.Before(end); next = c.advance(next, r.ExpFloat64()/rate) {
		n++
		perHour[next.Hour()]++
	}
	mean := rate * 86400
	require.InDelta(t, mean, float64(n), 4*math.Sqrt(mean))
	for h, got := range perHour {
		want := rate * c.integral(monday.Add(time.Duration(h)*time.Hour), monday.Add(time.Duration(h+1)*time.Hour))
		require.InDelta(t, want, float64(got), 4*math.Sqrt(want), "hour %d", h)
	}
	require.Greater(t, perHour[13], 3*perHour[2], "the peak is about four times the night")
}

func TestPlanFollowsTheDailyPattern(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = monday
	cfg.Duration = 3 * 24 * time.Hour // Monday to Wednesday
	cfg.Sessions = 30_000
	cfg.Daily = daily
	cfg.BadDeploy.Enabled = false
	tr, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()

	require.Len(t, truth.SessionsPerHour, 72)
	curve := newRateCurve(daily)
	var sessions int
	var expected float64
	byHour := map[time.Time]int{}
	for _, s := range tr.Sessions() {
		require.False(t, s.Start.Before(cfg.Start))
		require.True(t, s.Start.Before(tr.End()))
		if s.Steps > 0 {
			byHour[s.Start.Truncate(time.Hour)]++
		}
	}
	for i, h := range truth.SessionsPerHour {
		require.Equal(t, monday.Add(time.Duration(i)*time.Hour), h.Hour)
		require.Equal(t, byHour[h.Hour], h.Sessions, h.Hour)
		// Three weekdays hold 3 × 86400 seconds at rate 1: an hour's share
		// is its minutes' rates over that.
		var hour float64
		for m := range 60 {
			hour += 60 * curve.day[(i%24)*60+m]
		}
		want := float64(cfg.Sessions) * hour / (3 * 86400)
		require.InDelta(t, want, h.Expected, 1e-6, h.Hour)
		// A multinomial count: its variance is below its mean.
		require.InDelta(t, h.Expected, float64(h.Sessions), 4*math.Sqrt(h.Expected), h.Hour)
		sessions += h.Sessions
		expected += h.Expected
	}
	require.Equal(t, truth.Sessions, sessions)
	require.InDelta(t, float64(cfg.Sessions), expected, 1e-6)

	// The shape, from the truth alone: night hours a quarter or so of the
	// peak's, the evening shoulder above the late afternoon.
	hourOfDay := make([]int, 24)
	for _, h := range truth.SessionsPerHour {
		hourOfDay[h.Hour.Hour()] += h.Sessions
	}
	night := hourOfDay[1] + hourOfDay[2] + hourOfDay[3]
	peak := hourOfDay[12] + hourOfDay[13] + hourOfDay[14]
	require.InDelta(t, 0.27, float64(night)/float64(peak), 0.03)
	require.Greater(t, hourOfDay[20], hourOfDay[17])

	// Without the pattern, every hour expects the same.
	cfg.Daily.Enabled = false
	flat, err := Plan(cfg)
	require.NoError(t, err)
	for _, h := range flat.Truth().SessionsPerHour {
		require.InDelta(t, float64(cfg.Sessions)/72, h.Expected, 1e-9)
	}
}

func TestPlanDailyPatternKeepsEverythingButStartTimes(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = monday.Add(6 * time.Hour)
	cfg.Duration = 12 * time.Hour
	cfg.Sessions = 500
	flat, err := Plan(cfg)
	require.NoError(t, err)
	cfg.Daily = daily
	shaped, err := Plan(cfg)
	require.NoError(t, err)
	require.Equal(t, len(flat.Sessions()), len(shaped.Sessions()))
	var moved int
	for i, a := range flat.Sessions() {
		b := shaped.Sessions()[i]
		require.Equal(t, a.ID, b.ID)
		require.Equal(t, a.UserID, b.UserID)
		require.Equal(t, a.AppVersion, b.AppVersion)
		if !a.Start.Equal(b.Start) {
			moved++
		}
	}
	require.Greater(t, moved, 450)
	// The mapping is monotone: the order of session starts is kept.
	for i := range flat.Sessions() {
		for j := i + 1; j < min(i+20, len(flat.Sessions())); j++ {
			a, b := flat.Sessions(), shaped.Sessions()
			require.Equal(t, a[i].Start.Before(a[j].Start), b[i].Start.Before(b[j].Start))
		}
	}
}

func TestWindowCDFStaysInItsWindow(t *testing.T) {
	t.Parallel()
	c := newRateCurve(daily)
	from := monday.Add(90*time.Minute + 17*time.Second + 3)
	to := from.Add(7*time.Minute + 500*time.Millisecond)
	w := newWindowCDF(c, from, to)
	require.Equal(t, from, w.at(0))
	require.True(t, w.at(math.Nextafter(1, 0)).Before(to))
	prev := from
	for k := range 1000 {
		at := w.at(float64(k) / 1000)
		require.False(t, at.Before(prev))
		require.True(t, at.Before(to))
		prev = at
	}
	// The share below an instant is the integral's share.
	mid := w.at(0.5)
	require.InDelta(t, 0.5, c.integral(from, mid)/c.integral(from, to), 1e-9)
}
