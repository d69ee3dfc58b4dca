package admin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWaitText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "1 second"},
		{time.Second, "1 second"},
		{1500 * time.Millisecond, "2 seconds"},
		{59 * time.Second, "59 seconds"},
		{time.Minute, "1 minute"},
		{61 * time.Second, "2 minutes"},
		{15 * time.Minute, "15 minutes"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, waitText(tc.d), tc.d)
	}
}
