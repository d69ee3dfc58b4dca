//go:build unix

package web

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendsCPU is the CPU time the Postgres backends serving pool's
// database have used, from /proc (the server runs on this machine): with
// the process's own, what one answer costs whatever else the machine runs.
func backendsCPU(ctx context.Context, pool *pgxpool.Pool) map[int]time.Duration {
	out := map[int]time.Duration{}
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// utime and stime are the 12th and 13th fields after the
		// command, in ticks of 10 ms.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(u+s) * 10 * time.Millisecond
	}
	return out
}

// BenchmarkInsightViews answers each new view over the last 7 days of a
// five-step journey with three segment keys and an order total, through
// the whole handler (routing, sign-in, reads, rendering): 35 days of
// rollups, hour rows but for the last 2 days of minute rows, as
// maintenance leaves them; the anomaly search reads the 4 weeks before.
//
//	go test ./web -run '^$' -bench InsightViews -benchtime 20x
//
// Besides the wall time it reports the CPU time of the process and of the
// Postgres backends per answer, which a busy machine does not inflate.
func BenchmarkInsightViews(b *testing.B) {
	bb := setupSLO(b, nil)
	bb.clock.Set(insightEnd)
	bb.seedInsight(b, insightEnd, 35, 48, nil)
	week := "from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z"
	for _, c := range []struct{ name, target string }{
		{"map", "/journeys/insight?" + week},
		{"why-dropped-page", "/journeys/insight/why?step=2&compare=dropped&" + week},
		{"why-slow-page", "/journeys/insight/why?step=4&compare=slow&" + week},
		{"heatmap-page", "/journeys/insight/heatmap?metric=p95&step=4&" + week},
		{"api-stats", "/api/v1/journeys/insight/stats?" + week},
		{"api-differences-dropped", "/api/v1/journeys/insight/differences?step=2&compare=dropped&" + week},
		{"api-differences-slow", "/api/v1/journeys/insight/differences?step=4&compare=slow&" + week},
		{"api-anomalies", "/api/v1/journeys/insight/anomalies?" + week},
		{"api-heatmap-week", "/api/v1/journeys/insight/heatmap?metric=p95&step=4&" + week},
		{"api-heatmap-endpoint", "/api/v1/journeys/insight/heatmap?kind=endpoint&" + week},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			before, self := backendsCPU(ctx, bb.pool), processCPU()
			for b.Loop() {
				if rec := bb.do(b, http.MethodGet, c.target, nil); rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.target, rec.Code, rec.Body.String())
				}
			}
			goCPU := processCPU() - self
			var pgCPU time.Duration
			for pid, t := range backendsCPU(ctx, bb.pool) {
				pgCPU += t - before[pid]
			}
			b.ReportMetric(float64(goCPU.Microseconds())/1000/float64(b.N), "go-cpu-ms/op")
			b.ReportMetric(float64(pgCPU.Microseconds())/1000/float64(b.N), "pg-cpu-ms/op")
		})
	}
}
