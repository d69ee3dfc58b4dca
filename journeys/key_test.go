package journeys

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	const use = "use span.<name>, resource.<name> or one of name, status, statusMessage, kind, duration"
	tests := []struct {
		in        string
		want      Key
		unscoped  string
		intrinsic bool
		wantErr   string
	}{
		{in: "span.session.id", want: Key{"span", "session.id"}, unscoped: "session.id"},
		{in: "resource.service.version", want: Key{"resource", "service.version"}, unscoped: "service.version"},
		{in: "span.http.response.status_code", want: Key{"span", "http.response.status_code"}, unscoped: "http.response.status_code"},
		{in: "resource.k8s.pod/name:x-y", want: Key{"resource", "k8s.pod/name:x-y"}, unscoped: "k8s.pod/name:x-y"},
		{in: "span.X", want: Key{"span", "X"}, unscoped: "X"},
		{in: "name", want: Key{"", "name"}, unscoped: "name", intrinsic: true},
		{in: "status", want: Key{"", "status"}, unscoped: "status", intrinsic: true},
		{in: "statusMessage", want: Key{"", "statusMessage"}, unscoped: "statusMessage", intrinsic: true},
		{in: "kind", want: Key{"", "kind"}, unscoped: "kind", intrinsic: true},
		{in: "duration", want: Key{"", "duration"}, unscoped: "duration", intrinsic: true},
		{in: "", wantErr: "empty attribute key"},
		{in: "span", wantErr: `invalid attribute key "span": ` + use},
		{in: "Status", wantErr: `invalid attribute key "Status": ` + use},
		{in: ".session.id", wantErr: `invalid attribute key ".session.id": ` + use},
		{in: "event.name", wantErr: `invalid attribute key "event.name": ` + use},
		{in: "span:status", wantErr: `invalid attribute key "span:status": ` + use},
		{in: "Span.x", wantErr: `invalid attribute key "Span.x": ` + use},
		{in: "span.", wantErr: `invalid attribute key "span.": missing attribute name after the scope`},
		{in: "span..x", wantErr: `invalid attribute key "span..x": attribute name has an empty part between dots`},
		{in: "span.x.", wantErr: `invalid attribute key "span.x.": attribute name has an empty part between dots`},
		{in: "span.a b", wantErr: `invalid attribute key "span.a b": attribute name may only contain letters, digits and _ . : / -`},
		{in: "span.a}", wantErr: `invalid attribute key "span.a}": attribute name may only contain letters, digits and _ . : / -`},
		{in: "span.é", wantErr: `invalid attribute key "span.é": attribute name may only contain letters, digits and _ . : / -`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tt.in)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				require.Equal(t, Key{}, k)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, k)
			require.Equal(t, tt.in, k.String())
			require.Equal(t, tt.unscoped, k.Unscoped())
			require.Equal(t, tt.intrinsic, k.IsIntrinsic())
		})
	}
}
