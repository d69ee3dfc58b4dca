package journeys

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "30m", want: 30 * time.Minute},
		{in: "800ms", want: 800 * time.Millisecond},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "28d", want: 28 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "12h1d", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "0.5d30m", want: 12*time.Hour + 30*time.Minute},
		{in: "90d", want: 90 * 24 * time.Hour},
		{in: "1d1d", want: 48 * time.Hour},
		{in: "5µs", want: 5 * time.Microsecond},
		{in: "-1d", want: -24 * time.Hour},
		{in: "+2h", want: 2 * time.Hour},
		{in: "0", want: 0},
		{in: "106751d", want: 106751 * 24 * time.Hour},
		{in: "", wantErr: "empty duration"},
		{in: "30", wantErr: `missing unit in duration "30" (e.g. 30m, 28d)`},
		{in: "1d30", wantErr: `missing unit in duration "1d30" (e.g. 30m, 28d)`},
		{in: "d", wantErr: `invalid duration "d"`},
		{in: "-", wantErr: `invalid duration "-"`},
		{in: "abc", wantErr: `invalid duration "abc"`},
		{in: "1w", wantErr: `invalid duration "1w" (e.g. 30m, 28d)`},
		{in: "1..5d", wantErr: `invalid duration "1..5d"`},
		{in: ".d", wantErr: `invalid duration ".d"`},
		{in: "1e3s", wantErr: `invalid duration "1e3s" (e.g. 30m, 28d)`},
		{in: "106752d", wantErr: `invalid duration "106752d"`},
		{in: "106751d24h", wantErr: `duration "106751d24h" out of range`},
		{in: "99999999999h", wantErr: `invalid duration "99999999999h" (e.g. 30m, 28d)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				require.Equal(t, Duration{}, d)
				return
			}
			require.NoError(t, err)
			require.Equal(t, Duration{D: tt.want, Raw: tt.in}, d)
		})
	}
}

func TestDurationString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    Duration
		want string
	}{
		{"keeps the user's spelling", Duration{D: 36 * time.Hour, Raw: "1d12h"}, "1d12h"},
		{"keeps an odd spelling", Duration{D: time.Hour, Raw: "60m"}, "60m"},
		{"stale spelling ignored", Duration{D: 2 * time.Hour, Raw: "1h"}, "2h"},
		{"days", Duration{D: 28 * Day}, "28d"},
		{"hours", Duration{D: 36 * time.Hour}, "36h"},
		{"minutes", Duration{D: 30 * time.Minute}, "30m"},
		{"hours and minutes", Duration{D: 90 * time.Minute}, "1h30m"},
		{"milliseconds", Duration{D: 800 * time.Millisecond}, "800ms"},
		{"seconds", Duration{D: 90 * time.Second}, "1m30s"},
		{"zero", Duration{}, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.d.String())
			// The canonical spelling parses back to the same duration.
			back, err := ParseDuration(tt.d.String())
			require.NoError(t, err)
			require.Equal(t, tt.d.D, back.D)
		})
	}
	require.Equal(t, Duration{D: 7 * Day, Raw: "7d"}, NewDuration(7*Day))
}

func TestDurationMarshal(t *testing.T) {
	t.Parallel()
	type holder struct {
		W Duration `yaml:"w,omitempty" json:"w,omitzero"`
	}
	tests := []struct {
		name     string
		d        Duration
		wantYAML string
		wantJSON string
	}{
		{"zero is omitted", Duration{}, "{}\n", `{}`},
		{"days", Duration{D: 28 * Day, Raw: "28d"}, "w: 28d\n", `{"w":"28d"}`},
		{"built in Go", Duration{D: 90 * time.Minute}, "w: 1h30m\n", `{"w":"1h30m"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			y, err := yaml.Marshal(holder{tt.d})
			require.NoError(t, err)
			require.Equal(t, tt.wantYAML, string(y))
			j, err := json.Marshal(holder{tt.d})
			require.NoError(t, err)
			require.Equal(t, tt.wantJSON, string(j))

			var fromYAML, fromJSON holder
			require.NoError(t, yaml.Unmarshal(y, &fromYAML))
			require.NoError(t, json.Unmarshal(j, &fromJSON))
			want := holder{Duration{D: tt.d.D, Raw: tt.d.String()}}
			if tt.d.IsZero() {
				want = holder{}
			}
			require.Equal(t, want, fromYAML)
			require.Equal(t, want, fromJSON)
		})
	}

	var h holder
	require.EqualError(t, json.Unmarshal([]byte(`{"w":30}`), &h), `must be a duration string such as "30m" or "28d"`)
	require.EqualError(t, json.Unmarshal([]byte(`{"w":"30"}`), &h), `missing unit in duration "30" (e.g. 30m, 28d)`)
	require.NoError(t, json.Unmarshal([]byte(`{"w":""}`), &h))
	require.Equal(t, holder{}, h)
	require.EqualError(t, yaml.Unmarshal([]byte("w: 30\n"), &h), "must be a duration such as 30m or 28d")
	require.EqualError(t, yaml.Unmarshal([]byte("w: [1]\n"), &h), "must be a duration such as 30m or 28d")
}
