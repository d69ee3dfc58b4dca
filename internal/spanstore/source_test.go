package spanstore

import "github.com/waymarkhq/waymark/internal/rollup"

// The store is a trace source; the assertion lives in a test so that the
// store's build does not depend on the rollup package.
var _ rollup.TraceSource = (*Store)(nil)
