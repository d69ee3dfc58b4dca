package journeys

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys/examples"
)

func TestExamplesRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want func(testing.TB) Journey
	}{
		{"shop-checkout.yaml", shopCheckout},
		{"login-flow.yaml", loginFlow},
	}
	entries, err := examples.FS.ReadDir(".")
	require.NoError(t, err)
	require.Len(t, entries, len(tests), "every example needs a case here")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			file, err := examples.FS.ReadFile(tt.file)
			require.NoError(t, err)

			js, err := DecodeYAML(file)
			require.NoError(t, err)
			require.Len(t, js, 1)
			require.Equal(t, tt.want(t), js[0])
			require.NoError(t, js[0].Validate())

			// apply then export gives the file back byte for byte.
			out, err := EncodeYAML(js[0])
			require.NoError(t, err)
			require.Equal(t, string(file), string(out))

			// The struct built in Go encodes to the file as well.
			out, err = EncodeYAML(tt.want(t))
			require.NoError(t, err)
			require.Equal(t, string(file), string(out))

			again, err := DecodeYAML(out)
			require.NoError(t, err)
			require.Equal(t, js, again)
		})
	}
}
