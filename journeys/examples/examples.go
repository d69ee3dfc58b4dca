// Package examples holds the journeys of the demo shop in their canonical
// YAML form, as a team would keep them in git.
package examples

import "embed"

// FS holds one journey per .yaml file.
//
//go:embed *.yaml
var FS embed.FS
