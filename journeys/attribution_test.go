package journeys

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

const attributedYAML = `apiVersion: waymark/v1
kind: Journey
metadata:
  slug: login
  name: Login
spec:
  correlation:
    by: trace
  segments:
    - span.user.tier
    - resource.host.name
    - span.http.route
  attribution:
    resource.host.name: entry
    span.http.route: step
  steps:
    - name: Login
      match:
        service: auth_svc
        span: POST /login
    - name: Check
      match:
        service: auth_svc
        span: verify_password
`

func TestSegmentAttribution(t *testing.T) {
	t.Parallel()
	js, err := DecodeYAML([]byte(attributedYAML))
	require.NoError(t, err)
	j := js[0]
	require.NoError(t, j.Validate())
	require.Equal(t, AttributeAtEntry, j.Spec.SegmentAttribution("span.user.tier"))
	require.Equal(t, AttributeAtEntry, j.Spec.SegmentAttribution("resource.host.name"), "overridden")
	require.Equal(t, AttributeAtStep, j.Spec.SegmentAttribution("span.http.route"))
	// Infrastructure keys count at their step by default.
	require.Equal(t, AttributeAtStep, Spec{}.SegmentAttribution("resource.k8s.pod.name"))
	require.Equal(t, AttributeAtEntry, Spec{}.SegmentAttribution("span.host.name"), "only resource attributes are infrastructure")

	out, err := EncodeYAML(j)
	require.NoError(t, err)
	require.Equal(t, attributedYAML, string(out))
	b, err := json.Marshal(j)
	require.NoError(t, err)
	back, err := DecodeJSON(b)
	require.NoError(t, err)
	require.Equal(t, j.Spec.Attribution, back.Spec.Attribution)

	bad := j
	bad.Spec.Attribution = map[string]Attribution{"span.region": AttributeAtStep, "span.user.tier": "later"}
	var ve *ValidationError
	require.ErrorAs(t, bad.Validate(), &ve)
	require.Equal(t, `"span.region" is not one of the segments`, ve.Fields["attribution.span.region"])
	require.Equal(t, `"later" is not entry or step`, ve.Fields["attribution.span.user.tier"])

	_, err = DecodeYAML([]byte("apiVersion: waymark/v1\nkind: Journey\nmetadata: {slug: a, name: A}\nspec:\n  attribution: [a]\n  correlation: {by: trace}\n  steps: []\n"))
	require.ErrorAs(t, err, &ve)
	require.Contains(t, ve.Fields["attribution"], "must be a mapping of segment keys to entry or step")
}
